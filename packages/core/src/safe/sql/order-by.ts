import { ConfigurationError } from '../../errors.js';
import { SqlError } from './errors.js';
import { appendParts, fragmentOf, partsOf, SqlFragment, type Part } from './fragment.js';
import { trustedIdentifierParts } from './identifier.js';

/**
 * The sortable columns: public sort key (what a client sends) → column name (`'created_at'`, `'users.name'`, quoted
 * as an identifier) or a fragment for an expression (`sql`lower(name)``).
 */
export type SortColumns = Readonly<Record<string, string | SqlFragment>>;

export interface OrderByOptions {
  /**
   * Where NULLs sort. Unset, each database uses its own default (PostgreSQL: last when ascending; SQLite and MySQL:
   * first), so the same request pages differently per dialect. MySQL has no `NULLS FIRST|LAST`; it gets
   * `expr IS NULL [DESC], expr`.
   */
  readonly nulls?: 'first' | 'last';
}

const DIRECTIONS: ReadonlyMap<string, 'ASC' | 'DESC'> = new Map([
  ['asc', 'ASC'],
  ['desc', 'DESC'],
]);

const NULLS: ReadonlySet<string> = new Set(['first', 'last']);

function text(value: string): Part {
  return { kind: 'text', text: value };
}

function sortExpression(column: string, columns: SortColumns): readonly Part[] {
  const target = columns[column];
  if (SqlFragment.isFragment(target)) return partsOf(target);
  if (typeof target === 'string') return [{ kind: 'identifier', names: trustedIdentifierParts(target) }];
  throw new ConfigurationError('each sort column must map to a column name or an sql fragment');
}

/**
 * `ORDER BY <column> ASC|DESC [NULLS FIRST|LAST]` from request input (`?sort=created&dir=desc`).
 *
 * Protects against injection through sorting, which placeholders cannot stop (`ORDER BY $1` sorts by a constant):
 * the column is looked up as an own key of `columns` (so `__proto__`, `constructor` or `toString` never resolve) and
 * replaced by the name the code mapped it to; the direction must be `asc` or `desc` in any letter case, and the
 * emitted keyword is the builder's own, never the input. Boolean-blind payloads such as
 * `(CASE WHEN (SELECT …) THEN name ELSE id END)` are refused with `SqlError('SQL_SORT_NOT_ALLOWED')`. An absent
 * direction (`undefined`) means ascending; an empty string is refused.
 */
export function orderBy(column: unknown, columns: SortColumns, direction?: unknown, options: OrderByOptions = {}): SqlFragment {
  if (typeof column !== 'string' || !Object.hasOwn(columns, column)) {
    throw new SqlError('SQL_SORT_NOT_ALLOWED', 'the sort column is not one of the sortable columns', { received: column });
  }
  let keyword: 'ASC' | 'DESC' | undefined = 'ASC';
  if (direction !== undefined) {
    keyword = typeof direction === 'string' && direction.length <= 4 ? DIRECTIONS.get(direction.toLowerCase()) : undefined;
    if (keyword === undefined) {
      throw new SqlError('SQL_SORT_NOT_ALLOWED', 'the sort direction must be "asc" or "desc"', { received: direction });
    }
  }
  const { nulls } = options;
  if (nulls !== undefined && !NULLS.has(nulls)) {
    throw new ConfigurationError('orderBy option nulls must be "first" or "last"');
  }
  const expression = sortExpression(column, columns);
  const standard: Part[] = [text('ORDER BY ')];
  appendParts(standard, expression);
  appendParts(standard, [text(` ${keyword}${nulls === undefined ? '' : ` NULLS ${nulls.toUpperCase()}`}`)]);
  if (nulls === undefined) return fragmentOf(standard);

  // MySQL sorts false (0) before true (1): `expr IS NULL` puts NULLs last, `expr IS NULL DESC` first.
  const mysql: Part[] = [text('ORDER BY ')];
  appendParts(mysql, expression);
  appendParts(mysql, [text(nulls === 'first' ? ' IS NULL DESC, ' : ' IS NULL, ')]);
  appendParts(mysql, expression);
  appendParts(mysql, [text(` ${keyword}`)]);
  return fragmentOf([{ kind: 'dialect', variants: { postgres: standard, sqlite: standard, mysql } }]);
}
