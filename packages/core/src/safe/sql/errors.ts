import { RampartError } from '../../errors.js';

/**
 * Why the SQL builder refused. Stable, part of the public API:
 *
 * - `SQL_NOT_A_TEMPLATE`: `sql` was called as a plain function (`sql([text])`) instead of as a tagged template, so its
 *   "trusted" text may be a runtime string.
 * - `SQL_RAW_NOT_CONSTANT`: `sql.raw` got something other than a constant string or an interpolation-free template.
 * - `SQL_VALUE_UNDEFINED`: a value was `undefined` (almost always a missing field; binding it as NULL hides the bug).
 * - `SQL_VALUE_UNSUPPORTED`: a value of a type no driver binds faithfully (function, symbol, plain object, array,
 *   `NaN`, an invalid `Date`, …); it would otherwise become `'[object Object]'` or be spread into extra parameters.
 * - `SQL_VALUE_INVALID_STRING`: a string with a NUL character or a lone UTF-16 surrogate (see the README).
 * - `SQL_IDENTIFIER_NOT_ALLOWED`: an identifier outside its allowlist.
 * - `SQL_SORT_NOT_ALLOWED`: a sort column or direction outside its allowlist.
 * - `SQL_TOO_MANY_PARAMETERS`: more bound parameters than the dialect's wire protocol can carry.
 * - `SQL_FRAGMENT_STRINGIFIED`: a fragment was converted to a string (`'…' + fragment`), which would drop its values.
 */
export type SqlErrorCode =
  | 'SQL_NOT_A_TEMPLATE'
  | 'SQL_RAW_NOT_CONSTANT'
  | 'SQL_VALUE_UNDEFINED'
  | 'SQL_VALUE_UNSUPPORTED'
  | 'SQL_VALUE_INVALID_STRING'
  | 'SQL_IDENTIFIER_NOT_ALLOWED'
  | 'SQL_SORT_NOT_ALLOWED'
  | 'SQL_TOO_MANY_PARAMETERS'
  | 'SQL_FRAGMENT_STRINGIFIED';

/**
 * A refusal by the SQL builder. The message never contains the refused input, so it is safe to log anywhere and
 * cannot carry an attacker's payload into a response; `received` holds a short, ASCII-escaped description of it for
 * developers (never send it to a client).
 */
export class SqlError extends RampartError<SqlErrorCode> {
  /** A sanitized description of the refused input: type, or at most 40 characters, escaped to printable ASCII. */
  readonly received: string | undefined;

  constructor(code: SqlErrorCode, message: string, details?: { readonly received: unknown }) {
    super(code, message);
    this.received = details === undefined ? undefined : describeReceived(details.received);
  }
}

const MAX_DESCRIBED_CHARS = 40;

/**
 * Describes a refused input for developers without reproducing it: strings are cut to 40 code points and every
 * character outside printable ASCII is written as `\uXXXX`, so a payload cannot smuggle control characters or
 * terminal escapes into logs.
 */
export function describeReceived(value: unknown): string {
  if (typeof value === 'string') {
    const codePoints = Array.from(value);
    const head = codePoints.slice(0, MAX_DESCRIBED_CHARS).join('');
    const escaped = head.replace(/[^\x20-\x7e]|["\\]/gu, (char) =>
      Array.from({ length: char.length }, (_, i) => `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
    );
    return `string(${codePoints.length}) "${escaped}"${codePoints.length > MAX_DESCRIBED_CHARS ? '…' : ''}`;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'object') {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype === null) return 'object (null prototype)';
    const name = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && /^[A-Za-z_$][\w$]{0,40}$/.test(name) ? `object (${name})` : 'object';
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  return typeof value;
}
