import type { SqlDialect } from './dialect.js';
import { SqlError } from './errors.js';

/** JSON.stringify's declared type hides that it returns undefined for `undefined`, functions and symbols. */
function stringifyJson(value: unknown): string | undefined {
  return JSON.stringify(value);
}

/**
 * A JSON document to bind as one text parameter, made by `sql.json(value)`. Plain objects and arrays are refused as
 * values (a driver would turn them into `'[object Object]'` or expand them into several parameters); wrapping one says
 * "serialize this" on purpose.
 */
export class SqlJson {
  readonly #text: string;

  /** @internal Use `sql.json(value)`. */
  constructor(value: unknown) {
    let text: string | undefined;
    try {
      text = stringifyJson(value);
    } catch {
      // A cycle or a bigint: JSON.stringify's message would describe the value.
      throw new SqlError('SQL_VALUE_UNSUPPORTED', 'the JSON value cannot be serialized (cycle or bigint)');
    }
    if (text === undefined) {
      throw new SqlError('SQL_VALUE_UNSUPPORTED', 'the JSON value serializes to nothing (undefined, function or symbol)', { received: value });
    }
    this.#text = text;
    Object.freeze(this);
  }

  /** The serialized document, as it will be bound. */
  get text(): string {
    return this.#text;
  }
}

/** What a fragment accepts as a bound value. Everything else is refused with a typed {@link SqlError}. */
export type SqlValue = string | number | bigint | boolean | null | Date | Uint8Array | SqlJson;

/** What a compiled query hands to a driver: the types `pg`, `better-sqlite3` and `mysql2` all bind natively. */
export type SqlParameter = string | number | bigint | boolean | null | Date | Buffer;

/**
 * A validated value, copied so that a fragment stays immutable after it is built: a caller mutating its `Date` or
 * `Buffer` afterwards cannot change what a stored fragment binds.
 */
export type BoundValue =
  | { readonly kind: 'scalar'; readonly value: string | number | bigint | boolean | null }
  | { readonly kind: 'date'; readonly epochMs: number }
  | { readonly kind: 'bytes'; readonly bytes: Buffer };

/**
 * Refuses strings that databases do not store faithfully. NUL: PostgreSQL rejects it in text, and SQLite's LIKE,
 * GLOB and string functions stop at it (`'admin\0x' LIKE 'admin'` is true), so the same value compares differently in
 * different places. A lone surrogate: the driver's UTF-8 encoder replaces it with U+FFFD, so two different inputs
 * become one stored value (a uniqueness or lookup bypass).
 */
export function checkString(value: string): string {
  if (value.includes('\0') || /\p{Cs}/u.test(value)) {
    throw new SqlError('SQL_VALUE_INVALID_STRING', 'a string value contains a NUL character or a lone UTF-16 surrogate', { received: value });
  }
  return value;
}

/** Validates one interpolated value; see {@link SqlValue} for what is accepted. */
export function bindValue(value: unknown): BoundValue {
  switch (typeof value) {
    case 'string':
      return { kind: 'scalar', value: checkString(value) };
    case 'number':
      if (!Number.isFinite(value)) {
        // NaN and ±Infinity bind differently per driver (text 'NaN', NULL, an error): refuse rather than guess.
        throw new SqlError('SQL_VALUE_UNSUPPORTED', 'a number value must be finite', { received: value });
      }
      return { kind: 'scalar', value };
    case 'bigint':
    case 'boolean':
      return { kind: 'scalar', value };
    case 'undefined':
      throw new SqlError('SQL_VALUE_UNDEFINED', 'a value is undefined; pass null to bind SQL NULL');
    case 'object':
      return bindObject(value);
    default:
      throw new SqlError('SQL_VALUE_UNSUPPORTED', `a ${typeof value} cannot be bound as an SQL value`, { received: value });
  }
}

function bindObject(value: object | null): BoundValue {
  if (value === null) return { kind: 'scalar', value: null };
  if (value instanceof Date) {
    const epochMs = value.getTime();
    if (Number.isNaN(epochMs)) throw new SqlError('SQL_VALUE_UNSUPPORTED', 'an invalid Date cannot be bound', { received: value });
    return { kind: 'date', epochMs };
  }
  if (value instanceof Uint8Array) return { kind: 'bytes', bytes: Buffer.from(value) };
  if (value instanceof SqlJson) return { kind: 'scalar', value: value.text };
  if (Array.isArray(value)) {
    throw new SqlError('SQL_VALUE_UNSUPPORTED', 'an array cannot be bound as one value; use sql.in(column, values) or sql.join(values)', {
      received: value,
    });
  }
  throw new SqlError('SQL_VALUE_UNSUPPORTED', 'an object cannot be bound as an SQL value; wrap JSON documents in sql.json(value)', {
    received: value,
  });
}

/**
 * Converts a bound value to what the dialect's driver binds: better-sqlite3 binds neither booleans nor dates, so they
 * become 1/0 and ISO-8601 text (SQLite's own date format); `pg` and `mysql2` bind both natively.
 */
export function toParameter(bound: BoundValue, dialect: SqlDialect): SqlParameter {
  switch (bound.kind) {
    case 'scalar':
      if (typeof bound.value === 'boolean' && dialect === 'sqlite') return bound.value ? 1 : 0;
      return bound.value;
    case 'date':
      return dialect === 'sqlite' ? new Date(bound.epochMs).toISOString() : new Date(bound.epochMs);
    case 'bytes':
      return Buffer.from(bound.bytes);
  }
}
