export { sql, type SqlTag } from './sql.js';
export { SqlFragment, type CompiledSql, type CompileOptions, type SqlTemplate } from './fragment.js';
export { SqlError, type SqlErrorCode } from './errors.js';
export { MAX_PARAMETERS, type SqlDialect } from './dialect.js';
export { SqlJson, type SqlParameter, type SqlValue } from './values.js';
export type { SqlInput, ConstantString } from './template.js';
export type { IdentifierAllowlist } from './identifier.js';
export type { OrderByOptions, SortColumns } from './order-by.js';
export type { LikeMode, LikeOptions } from './like.js';
export {
  mysqlRows,
  mysqlRun,
  pgQuery,
  sqliteAll,
  sqliteGet,
  sqliteRun,
  toKysely,
  type MysqlExecutable,
  type PgQueryable,
  type SqliteDatabaseLike,
  type SqliteStatementLike,
  type SqlRow,
  type TemplateTag,
} from './drivers.js';
