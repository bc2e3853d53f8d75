import { ConfigurationError } from '../../errors.js';
import { SqlError } from './errors.js';
import { fragmentOf, type SqlFragment } from './fragment.js';
import { checkString } from './values.js';

/**
 * The LIKE escape character. Not backslash: a backslash literal is written `'\'` in PostgreSQL (with
 * standard_conforming_strings, the default since 9.1) and SQLite but `'\\'` in MySQL, and MySQL's
 * NO_BACKSLASH_ESCAPES mode flips that again, so no single `ESCAPE '\…'` spelling is valid on all three. `!` means
 * itself in every string-literal syntax, so `ESCAPE '!'` is one portable text; the pattern itself is a bound
 * parameter, so no literal escaping applies to it at all.
 */
export const LIKE_ESCAPE = '!';

export type LikeMode = 'contains' | 'prefix' | 'suffix' | 'exact';

export interface LikeOptions {
  /** Where the user's text must occur. Default `contains`. */
  readonly mode?: LikeMode;
  /** Emit `NOT LIKE` instead of `LIKE`. */
  readonly negate?: boolean;
}

/** Makes every character of `value` match itself: `%`, `_` and the escape character are prefixed with `!`. */
export function escapeLikePattern(value: string): string {
  return value.replace(/[!%_]/g, (char) => LIKE_ESCAPE + char);
}

function pattern(value: string, mode: LikeMode): string {
  const escaped = escapeLikePattern(value);
  switch (mode) {
    case 'contains':
      return `%${escaped}%`;
    case 'prefix':
      return `${escaped}%`;
    case 'suffix':
      return `%${escaped}`;
    case 'exact':
      return escaped;
  }
}

const MODES: ReadonlySet<string> = new Set<LikeMode>(['contains', 'prefix', 'suffix', 'exact']);

/**
 * `LIKE <pattern> ESCAPE '!'` where the pattern is the user's text with its wildcards escaped and bound as a
 * parameter: `sql`where name ${sql.like(q, { mode: 'prefix' })}``.
 *
 * Protects against LIKE wildcard injection: a bound value is not SQL, but a `%` or `_` inside it still matches
 * anything, so a search for `%` lists every row (data exposure past the intended match) and `%_%_%_%_…` makes the
 * matcher backtrack (CPU exhaustion). Here `%`, `_` and `!` in the input match only themselves on PostgreSQL, SQLite
 * and MySQL alike. Case sensitivity stays the database's (SQLite's LIKE ignores ASCII case; MySQL follows the
 * column's collation).
 */
export function like(value: unknown, options: LikeOptions = {}): SqlFragment {
  const mode = options.mode ?? 'contains';
  if (!MODES.has(mode)) throw new ConfigurationError('like mode must be "contains", "prefix", "suffix" or "exact"');
  if (typeof value !== 'string') {
    throw new SqlError('SQL_VALUE_UNSUPPORTED', 'a LIKE search term must be a string', { received: value });
  }
  return fragmentOf([
    { kind: 'text', text: options.negate === true ? 'NOT LIKE ' : 'LIKE ' },
    { kind: 'value', value: { kind: 'scalar', value: pattern(checkString(value), mode) } },
    { kind: 'text', text: ` ESCAPE '${LIKE_ESCAPE}'` },
  ]);
}
