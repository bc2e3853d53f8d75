import { ConfigurationError } from '../../errors.js';

/** The SQL dialects a fragment compiles to: placeholders, identifier quoting and a few clauses differ between them. */
export type SqlDialect = 'postgres' | 'sqlite' | 'mysql';

/**
 * The most parameters one statement can bind, per dialect. PostgreSQL's Bind message and MySQL's COM_STMT_PREPARE
 * count parameters in 16 bits: one more and PostgreSQL silently wraps the count to 0 (the statement then fails or, with
 * a driver that trusts the count, binds the wrong values); SQLite is built with SQLITE_MAX_VARIABLE_NUMBER = 32766.
 */
export const MAX_PARAMETERS: Readonly<Record<SqlDialect, number>> = Object.freeze({
  postgres: 65_535,
  mysql: 65_535,
  sqlite: 32_766,
});

const DIALECTS: ReadonlySet<string> = new Set<SqlDialect>(['postgres', 'sqlite', 'mysql']);

/** Refuses a dialect name outside the three supported ones (a typo would otherwise pick the wrong quoting). */
export function checkDialect(dialect: unknown): SqlDialect {
  if (typeof dialect !== 'string' || !DIALECTS.has(dialect)) {
    throw new ConfigurationError('unknown SQL dialect; use "postgres", "sqlite" or "mysql"');
  }
  return dialect as SqlDialect;
}

/** `$n` for PostgreSQL (numbered, so one text serves any number of values); `?` for SQLite and MySQL. */
export function placeholder(dialect: SqlDialect, position: number): string {
  return dialect === 'postgres' ? `$${position}` : '?';
}

/**
 * Quotes one identifier. Standard SQL (PostgreSQL, SQLite) uses double quotes, MySQL backticks (double quotes are
 * string literals there unless ANSI_QUOTES is on); the quote character inside a name is doubled. Names reaching this
 * point already passed an allowlist, so quoting is defence in depth, and it also keeps reserved words usable.
 */
export function quoteIdentifier(name: string, dialect: SqlDialect): string {
  return dialect === 'mysql' ? `\`${name.replaceAll('`', '``')}\`` : `"${name.replaceAll('"', '""')}"`;
}

/** PostgreSQL truncates identifiers longer than 63 bytes (NAMEDATALEN - 1), so two long names could silently collide. */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * Checks an identifier that the developer declared trusted (an allowlist entry, an `orderBy` column): an empty name,
 * a NUL, a lone surrogate or a name PostgreSQL would truncate is a configuration mistake, refused before it reaches SQL.
 */
export function checkTrustedIdentifier(name: string): void {
  if (name === '' || name.includes('\0') || /\p{Cs}/u.test(name) || Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
    throw new ConfigurationError(`an allowlisted SQL identifier must be 1-${MAX_IDENTIFIER_BYTES} bytes of well-formed text without NUL`);
  }
}
