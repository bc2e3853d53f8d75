import { ConfigurationError } from '../../errors.js';
import { NoSqlInjectionError, type PathSegment } from './errors.js';

/** The primitive a filter expects for a field. */
export type FilterValueKind = 'string' | 'number' | 'integer' | 'boolean';

/** The TypeScript type a {@link FilterValueKind} produces. */
export type FilterValueOf<K extends FilterValueKind> = K extends 'string' ? string : K extends 'boolean' ? boolean : number;

/** A value that MongoDB compares as data in every position: never an operator, a pattern or a missing field. */
export type FilterPrimitive = string | number | boolean;

export interface FilterValueOptions {
  /** Longest string accepted, in UTF-16 code units. Default 4096: an equality value has no reason to be a document. */
  readonly maxLength?: number;
}

export const DEFAULT_MAX_VALUE_LENGTH = 4096;

// JSON number grammar (RFC 8259 §6): what a client means by a number, without hex, octal, `Infinity` or whitespace.
const DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const INTEGER = /^-?(?:0|[1-9]\d*)$/;
const MAX_NUMBER_TEXT = 64;
const LONE_SURROGATE = /\p{Cs}/u;

export function resolveMaxLength(options: FilterValueOptions, caller: string): number {
  const { maxLength } = options;
  if (maxLength === undefined) return DEFAULT_MAX_VALUE_LENGTH;
  if (!Number.isSafeInteger(maxLength) || maxLength < 1) throw new ConfigurationError(`${caller}: maxLength must be a positive whole number`);
  return maxLength;
}

function mismatch(path: readonly PathSegment[]): NoSqlInjectionError {
  return new NoSqlInjectionError('NOSQL_TYPE_MISMATCH', path);
}

export function checkString(value: string, maxLength: number, path: readonly PathSegment[]): string {
  if (value.length > maxLength) throw new NoSqlInjectionError('NOSQL_VALUE_TOO_LONG', path);
  if (LONE_SURROGATE.test(value)) throw new NoSqlInjectionError('NOSQL_MALFORMED_STRING', path);
  return value;
}

function toNumber(value: unknown, grammar: RegExp, path: readonly PathSegment[]): number {
  let result: number;
  if (typeof value === 'number') result = value;
  else if (typeof value === 'string' && value.length <= MAX_NUMBER_TEXT && grammar.test(value)) result = Number(value);
  else throw mismatch(path);
  if (!Number.isFinite(result)) throw mismatch(path);
  return result;
}

/** Coerces one value; `path` only labels the error. Shared by the public function and the filter builders. */
export function coerce(value: unknown, kind: FilterValueKind, maxLength: number, path: readonly PathSegment[]): FilterPrimitive {
  switch (kind) {
    case 'string':
      if (typeof value === 'string') return checkString(value, maxLength, path);
      if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean' || typeof value === 'bigint') {
        return String(value);
      }
      throw mismatch(path);
    case 'number':
      return toNumber(value, DECIMAL, path);
    case 'integer': {
      const result = toNumber(value, INTEGER, path);
      if (!Number.isSafeInteger(result)) throw mismatch(path);
      return result;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true') return true;
      if (value === 'false') return false;
      throw mismatch(path);
    default:
      throw new ConfigurationError('sanitizeFilterValue: kind must be string, number, integer or boolean');
  }
}

/**
 * Returns `value` as a primitive of `kind`, or throws a {@link NoSqlInjectionError} (`NOSQL_TYPE_MISMATCH`,
 * `NOSQL_VALUE_TOO_LONG`, `NOSQL_MALFORMED_STRING`).
 *
 * Protects against operator injection where the code expects a scalar: an object (`{"$ne": null}`,
 * `password[$gt]=`), an array (`{"$in": …}` in disguise, `a=1&a=2`), `null`/`undefined` (which match documents that
 * lack the field — a password-reset token check passes for every user without a token) or a RegExp never becomes a
 * filter value. Coercion is narrow and predictable: `'string'` accepts strings and renders finite numbers, booleans
 * and bigints as text; `'number'` and `'integer'` accept numbers and JSON-grammar decimal text (no hex, no
 * `Infinity`, integers within ±2^53); `'boolean'` accepts booleans and exactly `'true'`/`'false'`.
 */
export function sanitizeFilterValue<K extends FilterValueKind>(value: unknown, kind: K, options: FilterValueOptions = {}): FilterValueOf<K> {
  return coerce(value, kind, resolveMaxLength(options, 'sanitizeFilterValue'), []) as FilterValueOf<K>;
}
