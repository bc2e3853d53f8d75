import sjson from 'secure-json-parse';
import { ConfigurationError } from '../errors.js';
import { DEFAULT_MAX_BODY_BYTES } from '../http/body/limits.js';
import { fail, ok, type Result } from '../result.js';

/** Why an untrusted JSON text was refused. Stable codes, part of the public API. */
export type UntrustedJsonRefusal = 'invalid_json' | 'too_deep' | 'too_many_keys' | 'forbidden_key' | 'too_large' | 'duplicate_key';

export interface UntrustedJsonOptions {
  /** Deepest nesting of objects and arrays accepted (`{}` is 1). Default 32. */
  readonly maxDepth?: number;
  /** Most members accepted in total: object keys plus array elements, at every level. Default 10 000. */
  readonly maxKeys?: number;
  /** Largest text in UTF-8 bytes. Default 102400 (100 KiB), the body guard's default. */
  readonly maxBytes?: number;
  /**
   * Named loosening: accept an object that names the same member twice, keeping the last value as `JSON.parse` does.
   * Refused by default (`duplicate_key`): RFC 8259 §4 leaves the meaning of duplicates open, so two parsers (a WAF and
   * the application, a signature check and the handler) can read two different documents from one text.
   */
  readonly allowDuplicateKeys?: boolean;
}

const DEFAULT_MAX_DEPTH = 32;
const DEFAULT_MAX_KEYS = 10_000;
/** Fatal: invalid UTF-8 is refused, not replaced by U+FFFD (two parsers must not read two different documents). */
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const SECURE = { protoAction: 'error', constructorAction: 'error', safe: true } as const;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigurationError(`parseJson: ${name} must be a positive whole number`);
  return value;
}

/** What the structure scan found: a refusal to return at once, or whether a duplicate member name was seen. */
type ScanOutcome = 'invalid_json' | 'too_deep' | 'too_many_keys' | 'duplicate' | undefined;

/**
 * The index of the quote closing a string whose content starts at `from`, or -1. A quote preceded by an odd run of
 * backslashes is escaped. `indexOf` jumps over string content natively instead of looking at each character.
 */
function closingQuote(text: string, from: number): number {
  let quote = text.indexOf('"', from);
  while (quote !== -1) {
    let backslashes = 0;
    for (let i = quote - 1; i >= from && text.charCodeAt(i) === BACKSLASH; i -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return -1;
}

const SHORT_OBJECT = 16;

/** Records a member name of the object open at `depth`; whether the object already had it. */
function rememberName(name: string, depth: number, names: (string[] | undefined)[], counts: Uint32Array, sets: (Set<string> | undefined)[]): boolean {
  const count = counts[depth] ?? 0;
  counts[depth] = count + 1;
  if (count < SHORT_OBJECT) {
    let list = names[depth];
    if (list === undefined) names[depth] = list = [];
    for (let i = 0; i < count; i += 1) if (list[i] === name) return true;
    list[count] = name;
    return false;
  }
  let set = sets[depth];
  if (set === undefined) sets[depth] = set = new Set();
  if (count === SHORT_OBJECT) for (const earlier of names[depth] ?? []) set.add(earlier);
  if (set.has(name)) return true;
  set.add(name);
  return false;
}

/**
 * One pass over the text, before `JSON.parse` builds anything: counts nesting and members outside strings and, when
 * asked, the member names of each object. It is a tokenizer, not a parser: `JSON.parse` stays the only judge of
 * syntax and the only builder of values, and this scan only has to be exact on text that `JSON.parse` accepts (a
 * property test checks it against generated documents). Exactness there rests on two facts of RFC 8259: a string ends
 * at the first quote not preceded by an escaping backslash, and inside an object the string right after `{` or `,` is a
 * member name. A name without a backslash is its own value; one with escapes is decoded by `JSON.parse` itself, so
 * `"\u0061"` and `"a"` are the same name. A million `[` are refused after `maxDepth` characters, without recursion.
 */
function scanStructure(text: string, maxDepth: number, maxKeys: number, trackNames: boolean): ScanOutcome {
  const isArray = new Uint8Array(maxDepth + 1);
  // Names of the open object at each depth, reused across objects: a list while short (cheaper than a set for the
  // handful of members most objects have), a set once it grows.
  const names: (string[] | undefined)[] = [];
  const counts = new Uint32Array(maxDepth + 1);
  const sets: (Set<string> | undefined)[] = [];
  let depth = 0;
  let members = 0;
  let firstOfArray = false;
  let expectName = false;
  let duplicate = false;
  // The next backslash at or after the current string, found once and reused, so the search stays linear.
  let nextBackslash = -1;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) continue;
    if (firstOfArray) {
      firstOfArray = false;
      if (code !== 0x5d && ++members > maxKeys) return 'too_many_keys';
    }
    if (code === QUOTE) {
      const end = closingQuote(text, i + 1);
      if (end === -1) return 'invalid_json';
      if (expectName && trackNames) {
        if (nextBackslash !== Infinity && nextBackslash <= i) {
          const found = text.indexOf('\\', i + 1);
          nextBackslash = found === -1 ? Infinity : found;
        }
        let name: string;
        if (nextBackslash < end) {
          try {
            name = JSON.parse(text.slice(i, end + 1)) as string;
          } catch {
            return 'invalid_json';
          }
        } else {
          name = text.slice(i + 1, end);
        }
        if (!duplicate) duplicate = rememberName(name, depth, names, counts, sets);
      }
      expectName = false;
      i = end;
      continue;
    }
    expectName = false;
    switch (code) {
      case 0x7b: // {
      case 0x5b: // [
        depth += 1;
        if (depth > maxDepth) return 'too_deep';
        isArray[depth] = code === 0x5b ? 1 : 0;
        firstOfArray = code === 0x5b;
        if (code === 0x7b) {
          expectName = true;
          if (trackNames) {
            counts[depth] = 0;
            sets[depth]?.clear();
          }
        }
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
        if (isArray[depth] === 1) {
          if (++members > maxKeys) return 'too_many_keys';
        } else {
          expectName = true;
        }
        break;
      default:
        break;
    }
  }
  return duplicate ? 'duplicate' : undefined;
}

/**
 * Parses an untrusted JSON text and never throws.
 *
 * Protects against prototype pollution: a `__proto__` key, or a `constructor` holding a `prototype`, anywhere in the
 * document (even spelled with `\u` escapes) refuses the whole text (`forbidden_key`, via secure-json-parse), so a later
 * merge or `Object.assign` cannot reach `Object.prototype`. Protects against resource exhaustion: size, depth and member
 * count are checked in one pass before `JSON.parse` allocates anything, so deeply nested input cannot overflow the
 * stack of the parser or of any recursive code that walks the result. Protects against parser differentials: an object
 * naming a member twice is refused (`duplicate_key`) unless `allowDuplicateKeys` is passed, and bytes must be valid
 * UTF-8 (RFC 8259 §8.1; a leading byte order mark is ignored).
 */
export function parseUntrustedJson(text: string | Uint8Array, options: UntrustedJsonOptions = {}): Result<unknown, UntrustedJsonRefusal> {
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

  const scanned = scanStructure(source, maxDepth, maxKeys, options.allowDuplicateKeys !== true);
  if (scanned !== undefined && scanned !== 'duplicate') return fail(scanned);

  let value: unknown;
  try {
    value = sjson.parse(source, null, SECURE);
  } catch {
    // The parser's message quotes the input: it is dropped, only the reason survives.
    return fail('invalid_json');
  }
  // With `safe`, a forbidden key makes the result null; the only valid document whose value is null is `null` itself.
  if (value === null && source.trimStart().charCodeAt(0) !== 0x6e) return fail('forbidden_key');
  // Reported only now, so that text JSON.parse refuses is `invalid_json` whatever the scan saw in it.
  if (scanned === 'duplicate') return fail('duplicate_key');
  return ok(value);
}
