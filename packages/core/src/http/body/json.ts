import { fail, type Result } from '../../result.js';
import { parseUntrustedJson } from '../../validate/json.js';
import type { Problem } from '../problem/problem.js';
import { bodyProblem } from './problems.js';

/** Why a JSON body was refused; a subset of `BodyRefusal`, so `bodyProblem` maps each to its problem. */
export type JsonRefusal = 'invalid_json' | 'too_deep' | 'too_many_keys' | 'forbidden_key' | 'duplicate_key' | 'too_large';

export interface ParseJsonOptions {
  /** Deepest nesting of objects and arrays accepted (`{}` is 1). Default 32. */
  readonly maxDepth?: number;
  /** Most members accepted in total: object keys plus array elements, at every level. Default 10 000. */
  readonly maxKeys?: number;
  /** Largest text in UTF-8 bytes. Default 102400 (100 KiB), the body guard's default. */
  readonly maxBytes?: number;
}

/**
 * Parses an untrusted JSON body and never throws: `parseUntrustedJson` from `validate/json` (the one implementation of
 * the pre-scan), with its refusals mapped onto the body's problems.
 *
 * Protects against prototype pollution: a `__proto__` key, or a `constructor` holding a `prototype`, anywhere in the
 * document (even spelled with `\u` escapes) refuses the whole body (`forbidden_key`, via secure-json-parse), so a
 * later merge or `Object.assign` cannot reach `Object.prototype`. Protects against resource exhaustion: size, depth and
 * member count are checked in one pass before `JSON.parse` allocates anything, so deeply nested input cannot overflow
 * the stack of the parser or of any recursive code that walks the result. An object that names a member twice is
 * refused as `duplicate_key` (it is not I-JSON, RFC 7493 §2.3, and two parsers may read it differently). Bytes must be
 * valid UTF-8 (RFC 8259 §8.1); a leading byte order mark is ignored.
 */
export function parseJson(text: string | Uint8Array, options: ParseJsonOptions = {}): Result<unknown, JsonRefusal> {
  const parsed = parseUntrustedJson(text, options);
  if (parsed.ok) return parsed;
  return fail(parsed.reason);
}

/** The problem for a refused JSON body (400, or 413 for `too_large`); see `bodyProblem`. */
export function jsonProblem(reason: JsonRefusal): Problem {
  return bodyProblem(reason);
}
