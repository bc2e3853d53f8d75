import sjson from 'secure-json-parse';
import { ConfigurationError } from '../../errors.js';
import { fail, ok, type Result } from '../../result.js';
import type { Problem } from '../problem/problem.js';
import { DEFAULT_MAX_BODY_BYTES } from './limits.js';
import { bodyProblem } from './problems.js';

/** Why a JSON body was refused; a subset of `BodyRefusal`, so `bodyProblem` maps each to its problem. */
export type JsonRefusal = 'invalid_json' | 'too_deep' | 'too_many_keys' | 'forbidden_key' | 'too_large';

export interface ParseJsonOptions {
  /** Deepest nesting of objects and arrays accepted (`{}` is 1). Default 32. */
  readonly maxDepth?: number;
  /** Most members accepted in total: object keys plus array elements, at every level. Default 10 000. */
  readonly maxKeys?: number;
  /** Largest text in UTF-8 bytes. Default 102400 (100 KiB), the body guard's default. */
  readonly maxBytes?: number;
}

const DEFAULT_MAX_DEPTH = 32;
const DEFAULT_MAX_KEYS = 10_000;
/** Fatal: invalid UTF-8 is refused, not replaced by U+FFFD (two parsers must not read two different documents). */
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const SECURE = { protoAction: 'error', constructorAction: 'error', safe: true } as const;

function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigurationError(`parseJson: ${name} must be a positive whole number`);
  return value;
}

/**
 * One pass over the text, before `JSON.parse` builds anything, counting nesting and members outside strings. It is
 * not a validator (JSON.parse is): it only has to be right on valid JSON and to stop early on hostile input, so a
 * million `[` are refused after `maxDepth` characters, without recursion and without allocating the structure.
 */
function prescan(text: string, maxDepth: number, maxKeys: number): JsonRefusal | undefined {
  const isArray = new Uint8Array(maxDepth + 1);
  let depth = 0;
  let members = 0;
  let inString = false;
  let firstOfArray = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i += 1; // backslash: the next character is escaped, even a quote
      else if (code === 0x22) inString = false;
      continue;
    }
    if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) continue;
    if (firstOfArray) {
      firstOfArray = false;
      if (code !== 0x5d && ++members > maxKeys) return 'too_many_keys';
    }
    switch (code) {
      case 0x22: // "
        inString = true;
        break;
      case 0x7b: // {
      case 0x5b: // [
        depth += 1;
        if (depth > maxDepth) return 'too_deep';
        isArray[depth] = code === 0x5b ? 1 : 0;
        firstOfArray = code === 0x5b;
        break;
      case 0x7d: // }
      case 0x5d: // ]
        depth -= 1;
        if (depth < 0) return 'invalid_json';
        break;
      case 0x3a: // : — one per object member
        if (++members > maxKeys) return 'too_many_keys';
        break;
      case 0x2c: // , — counts in arrays; in objects the next member's colon counts
        if (isArray[depth] === 1 && ++members > maxKeys) return 'too_many_keys';
        break;
      default:
        break;
    }
  }
  return undefined;
}

/**
 * Parses an untrusted JSON body and never throws.
 *
 * Protects against prototype pollution: a `__proto__` key, or a `constructor` holding a `prototype`, anywhere in the
 * document (even spelled with `\u` escapes) refuses the whole body (`forbidden_key`, via secure-json-parse), so a
 * later merge or `Object.assign` cannot reach `Object.prototype`. Protects against resource exhaustion: size, depth and
 * member count are checked in one pass before `JSON.parse` allocates anything, so deeply nested input cannot overflow
 * the stack of the parser or of any recursive code that walks the result. Bytes must be valid UTF-8 (RFC 8259 §8.1);
 * a leading byte order mark is ignored.
 */
export function parseJson(text: string | Uint8Array, options: ParseJsonOptions = {}): Result<unknown, JsonRefusal> {
  const maxBytes = limit(options.maxBytes, DEFAULT_MAX_BODY_BYTES, 'maxBytes');
  const maxDepth = limit(options.maxDepth, DEFAULT_MAX_DEPTH, 'maxDepth');
  const maxKeys = limit(options.maxKeys, DEFAULT_MAX_KEYS, 'maxKeys');

  let source: string;
  if (typeof text === 'string') {
    // A UTF-16 unit is at least one UTF-8 byte and at most three: measure exactly only when it could matter.
    if (text.length > maxBytes || (text.length * 3 > maxBytes && Buffer.byteLength(text, 'utf8') > maxBytes)) return fail('too_large');
    source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } else {
    if (text.byteLength > maxBytes) return fail('too_large');
    try {
      source = UTF8.decode(text); // strips a leading BOM
    } catch {
      return fail('invalid_json');
    }
  }

  const refused = prescan(source, maxDepth, maxKeys);
  if (refused !== undefined) return fail(refused);

  let value: unknown;
  try {
    value = sjson.parse(source, null, SECURE);
  } catch {
    // The parser's message quotes the input: it is dropped, only the reason survives.
    return fail('invalid_json');
  }
  // With `safe`, a forbidden key makes the result null; the only valid document whose value is null is `null` itself.
  if (value === null && source.trimStart().charCodeAt(0) !== 0x6e) return fail('forbidden_key');
  return ok(value);
}

/** The problem for a refused JSON body (400, or 413 for `too_large`); see `bodyProblem`. */
export function jsonProblem(reason: JsonRefusal): Problem {
  return bodyProblem(reason);
}
