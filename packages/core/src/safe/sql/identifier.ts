import { ConfigurationError } from '../../errors.js';
import { checkTrustedIdentifier } from './dialect.js';
import { SqlError } from './errors.js';
import { fragmentOf } from './fragment.js';
import type { SqlFragment } from './fragment.js';

/** The names a query may use, given as an array or a set. */
export type IdentifierAllowlist = ReadonlySet<string> | readonly string[];

/** `schema.table.column` at most. */
const MAX_IDENTIFIER_PARTS = 3;

function allows(allowlist: IdentifierAllowlist, name: string): boolean {
  if (Array.isArray(allowlist)) return allowlist.includes(name);
  if (allowlist instanceof Set) return allowlist.has(name);
  throw new ConfigurationError('an identifier allowlist must be an array or a Set of names');
}

/**
 * Splits a trusted dotted name (`users.email`) into checked parts; a configuration mistake (empty part, NUL, a name
 * PostgreSQL would truncate) throws `ConfigurationError`.
 */
export function trustedIdentifierParts(name: string): readonly string[] {
  const parts = name.split('.');
  for (const part of parts) checkTrustedIdentifier(part);
  return Object.freeze(parts);
}

/**
 * A table or column name chosen at runtime (a report's column, a tenant's table), emitted as a quoted identifier
 * (`"email"` or `` `email` ``) only when it is in `allowlist`. A dotted name (`users.email`) is accepted only when
 * every part is allowlisted, and becomes `"users"."email"`.
 *
 * Protects against identifier injection, which placeholders cannot stop (an identifier cannot be bound): the name
 * is matched exactly against names the code chose, so `email; DROP TABLE users`, `email" --`, `` `x` ``, or a
 * look-alike with different case or Unicode never reaches the SQL text. Refusals throw
 * `SqlError('SQL_IDENTIFIER_NOT_ALLOWED')`.
 */
export function identifier(name: unknown, allowlist: IdentifierAllowlist): SqlFragment {
  if (typeof name !== 'string') {
    throw new SqlError('SQL_IDENTIFIER_NOT_ALLOWED', 'an SQL identifier must be a string from its allowlist', { received: name });
  }
  const parts = name.split('.');
  if (parts.length > MAX_IDENTIFIER_PARTS || !parts.every((part) => allows(allowlist, part))) {
    throw new SqlError('SQL_IDENTIFIER_NOT_ALLOWED', 'the SQL identifier is not in its allowlist', { received: name });
  }
  for (const part of parts) checkTrustedIdentifier(part);
  return fragmentOf([{ kind: 'identifier', names: Object.freeze(parts) }]);
}
