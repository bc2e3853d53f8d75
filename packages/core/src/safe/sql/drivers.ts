// Structural types only: core does not depend on any database driver, the caller passes theirs in.
import type { SqlDialect } from './dialect.js';
import { SqlFragment, type CompileOptions } from './fragment.js';
import { SqlError } from './errors.js';
import type { SqlParameter } from './values.js';

function checkFragment(query: unknown): asserts query is SqlFragment {
  // Checked at runtime too: a caller holding a string (from `any` or plain JS) must not reach the driver with it.
  if (!SqlFragment.isFragment(query)) {
    throw new SqlError('SQL_NOT_A_TEMPLATE', 'the query must be an sql`…` fragment, not a string');
  }
}

/** What `pg`'s `Client`, `Pool` and `PoolClient` provide. */
export interface PgQueryable {
  query(config: { text: string; values: SqlParameter[]; queryMode: 'extended' }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** One result row, as the drivers return it; validate it before trusting its shape. */
export type SqlRow = Record<string, unknown>;

/**
 * Runs a fragment on `pg` (Client, Pool or PoolClient) with the extended protocol: the text holds `$n` placeholders
 * and the values travel separately in the Bind message, so PostgreSQL never parses them as SQL. The extended protocol
 * also accepts one statement only, so stacked statements (`'; DROP TABLE …`) fail even in text. `pg` itself falls back
 * to the simple protocol, which runs any number of statements, for a query without values; `queryMode: 'extended'`
 * (pg ≥ 8.11) keeps it from doing so.
 */
export async function pgQuery(client: PgQueryable, query: SqlFragment, options?: CompileOptions): Promise<{ rows: SqlRow[]; rowCount: number }> {
  checkFragment(query);
  const { text, values } = query.compile('postgres', options);
  const result = await client.query({ text, values, queryMode: 'extended' });
  return { rows: result.rows as SqlRow[], rowCount: result.rowCount ?? 0 };
}

/** What a `better-sqlite3` prepared statement provides. */
export interface SqliteStatementLike {
  all(...values: unknown[]): unknown[];
  get(...values: unknown[]): unknown;
  run(...values: unknown[]): { changes: number; lastInsertRowid: number | bigint };
}

/** What a `better-sqlite3` `Database` provides. */
export interface SqliteDatabaseLike {
  prepare(source: string): SqliteStatementLike;
}

function sqliteStatement(db: SqliteDatabaseLike, query: SqlFragment, options?: CompileOptions): { statement: SqliteStatementLike; values: SqlParameter[] } {
  checkFragment(query);
  const { text, values } = query.compile('sqlite', options);
  // better-sqlite3's prepare() compiles exactly one statement and throws on a second one: no stacked queries.
  return { statement: db.prepare(text), values };
}

/** All rows of a fragment on `better-sqlite3`, values bound to `?` placeholders. */
export function sqliteAll(db: SqliteDatabaseLike, query: SqlFragment, options?: CompileOptions): SqlRow[] {
  const { statement, values } = sqliteStatement(db, query, options);
  return statement.all(...values) as SqlRow[];
}

/** The first row of a fragment on `better-sqlite3`, or `undefined`. */
export function sqliteGet(db: SqliteDatabaseLike, query: SqlFragment, options?: CompileOptions): SqlRow | undefined {
  const { statement, values } = sqliteStatement(db, query, options);
  return statement.get(...values) as SqlRow | undefined;
}

/** Runs an INSERT/UPDATE/DELETE fragment on `better-sqlite3`. */
export function sqliteRun(
  db: SqliteDatabaseLike,
  query: SqlFragment,
  options?: CompileOptions,
): { changes: number; lastInsertRowid: number | bigint } {
  const { statement, values } = sqliteStatement(db, query, options);
  const { changes, lastInsertRowid } = statement.run(...values);
  return { changes, lastInsertRowid };
}

/** What a `mysql2/promise` `Connection`, `Pool` or `PoolConnection` provides. */
export interface MysqlExecutable {
  execute(sql: string, values: SqlParameter[]): Promise<[unknown, unknown]>;
}

async function mysqlExecute(connection: MysqlExecutable, query: SqlFragment, options?: CompileOptions): Promise<unknown> {
  checkFragment(query);
  const { text, values } = query.compile('mysql', options);
  // execute() is a server-side prepared statement: values are sent in the binary protocol and never pass through
  // mysql2's client-side escaping (query() with values does, and then depends on the connection charset and on
  // NO_BACKSLASH_ESCAPES being what the escaper assumes).
  const [result] = await connection.execute(text, values);
  return result;
}

/** The rows of a SELECT fragment on `mysql2/promise`, run as a server-side prepared statement (`execute`). */
export async function mysqlRows(connection: MysqlExecutable, query: SqlFragment, options?: CompileOptions): Promise<SqlRow[]> {
  const result = await mysqlExecute(connection, query, options);
  if (!Array.isArray(result)) throw new TypeError('mysqlRows: the statement returned no rows; use mysqlRun for writes');
  return result as SqlRow[];
}

/** Runs an INSERT/UPDATE/DELETE fragment on `mysql2/promise` as a server-side prepared statement (`execute`). */
export async function mysqlRun(
  connection: MysqlExecutable,
  query: SqlFragment,
  options?: CompileOptions,
): Promise<{ affectedRows: number; insertId: number | bigint }> {
  const result = await mysqlExecute(connection, query, options);
  const header = (typeof result === 'object' && result !== null ? result : {}) as { affectedRows?: unknown; insertId?: unknown };
  if (typeof header.affectedRows !== 'number') throw new TypeError('mysqlRun: the statement returned rows; use mysqlRows for SELECT');
  return { affectedRows: header.affectedRows, insertId: typeof header.insertId === 'bigint' ? header.insertId : Number(header.insertId ?? 0) };
}

/** A tagged-template function that binds its values itself, such as Kysely's `sql`. */
export type TemplateTag<Result> = (strings: TemplateStringsArray, ...values: unknown[]) => Result;

/**
 * Hands a fragment to Kysely's `sql` tag (`toKysely(kyselySql, fragment, 'postgres')`), which returns a `RawBuilder`
 * usable on its own (`.execute(db)`) or inside Kysely's query builder (`.where(toKysely(…))`). Kysely then numbers
 * the placeholders within the whole query; identifiers are quoted for `dialect`, which must be the Kysely instance's.
 * Values stay parameters all the way: none enters the strings passed to Kysely.
 */
export function toKysely<Result>(kyselySql: TemplateTag<Result>, query: SqlFragment, dialect: SqlDialect, options?: CompileOptions): Result {
  checkFragment(query);
  const { strings, values } = query.toTemplate(dialect, options);
  return kyselySql(strings, ...values);
}
