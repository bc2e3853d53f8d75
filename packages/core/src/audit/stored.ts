/*
 * Values read back from a store an attacker may have edited (a database column, a file line): each is coerced to the
 * type the log expects, a wrong type becoming a value that fails verification (empty, NaN) — never a crash, never a
 * guess. Shared by every store so they all read tampered data the same way.
 */

/** A blob, or empty bytes. */
export const storedBytes = (value: unknown): Uint8Array => (value instanceof Uint8Array ? value : new Uint8Array(0));

/** A string, or the empty string. */
export const storedText = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * A safe integer from a number, a bigint (SQLite with safe integers) or a decimal string (PostgreSQL int8 through `pg`);
 * NaN for anything else, including integers beyond 2^53 that would read back as a different number.
 */
export function storedInteger(value: unknown): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = Number(value);
  else if (typeof value === 'string' && /^-?\d{1,16}$/.test(value)) n = Number(value);
  else return Number.NaN;
  return Number.isSafeInteger(n) && (typeof value !== 'bigint' || BigInt(n) === value) ? n : Number.NaN;
}
