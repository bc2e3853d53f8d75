import type { SqlFragment } from './fragment.js';
import { identifier, type IdentifierAllowlist } from './identifier.js';
import { inList, notInList } from './in-list.js';
import { like, type LikeOptions } from './like.js';
import { orderBy, type OrderByOptions, type SortColumns } from './order-by.js';
import { empty, join, raw, sqlTag, type ConstantString, type SqlInput } from './template.js';
import { SqlJson, type SqlValue } from './values.js';

/** The `sql` tag and its helpers; see {@link sql}. */
export interface SqlTag {
  /** A fragment: template text is SQL, every `${…}` a bound value or a nested fragment. */
  (strings: TemplateStringsArray, ...values: readonly SqlInput[]): SqlFragment;
  /** Trusted constant SQL text: a string literal or an interpolation-free template, never input. */
  readonly raw: {
    (text: TemplateStringsArray): SqlFragment;
    <T extends string>(text: ConstantString<T>): SqlFragment;
  };
  /** Values and fragments separated by `separator` (default `, `). */
  readonly join: (items: Iterable<SqlInput>, separator?: SqlFragment) => SqlFragment;
  /** `(expr IN (…))`, or `(1 = 0)` for an empty list. */
  readonly in: (expression: SqlFragment, values: Iterable<SqlValue>) => SqlFragment;
  /** `(expr NOT IN (…))`, or `(1 = 1)` for an empty list. */
  readonly notIn: (expression: SqlFragment, values: Iterable<SqlValue>) => SqlFragment;
  /** A quoted identifier, only if it (each dotted part) is in the allowlist. */
  readonly identifier: (name: unknown, allowlist: IdentifierAllowlist) => SqlFragment;
  /** `ORDER BY` a column looked up in `columns`, direction `asc|desc` only. */
  readonly orderBy: (column: unknown, columns: SortColumns, direction?: unknown, options?: OrderByOptions) => SqlFragment;
  /** `LIKE <escaped pattern> ESCAPE '!'`. */
  readonly like: (value: unknown, options?: LikeOptions) => SqlFragment;
  /** A JSON document bound as one text value. */
  readonly json: (value: unknown) => SqlJson;
  /** The empty fragment. */
  readonly empty: SqlFragment;
}

/**
 * Builds SQL that cannot be injected, for PostgreSQL, SQLite and MySQL/MariaDB:
 *
 * ```ts
 * const query = sql`select id, name from users where email = ${email} and ${sql.in(sql`role`, roles)} ${sql.orderBy(sort, { name: 'name' }, dir)}`;
 * await client.query(query.compile('postgres')); // { text: 'select … where email = $1 and ("role" IN ($2, $3)) ORDER BY "name" DESC', values: [...] }
 * ```
 *
 * Values are only ever bound parameters; identifiers, sort columns and directions only come from allowlists; LIKE
 * terms have their wildcards escaped. See the README for the threat model.
 */
export const sql: SqlTag = Object.freeze(
  Object.assign(sqlTag, {
    raw,
    join,
    in: inList,
    notIn: notInList,
    identifier,
    orderBy,
    like,
    json: (value: unknown): SqlJson => new SqlJson(value),
    empty,
  }),
);
