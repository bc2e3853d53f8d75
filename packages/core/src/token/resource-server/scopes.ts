import { ConfigurationError } from '../../errors.js';

/** RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** More scopes than this in one token is refused: a bound on the work a token can cause on every request. */
export const MAX_TOKEN_SCOPES = 256;

function tokens(value: string, into: Set<string>): boolean {
  for (const scope of value.split(' ')) {
    // Several spaces in a row are tolerated (empty pieces skipped); tabs and other separators are not scope tokens.
    if (scope === '') continue;
    if (!SCOPE_TOKEN.test(scope)) return false;
    into.add(scope);
  }
  return true;
}

/**
 * The scopes a token grants, from `scope` (RFC 9068 §2.2.3: a space-separated string) and `scp` (a list, or a
 * space-separated string, as some issuers write it), merged without duplicates. `undefined` when either claim has the
 * wrong type, holds something that is not a scope token, or names more than {@link MAX_TOKEN_SCOPES} scopes: a token
 * whose scopes cannot be read grants nothing rather than everything.
 */
export function scopesOf(claims: Readonly<Record<string, unknown>>): readonly string[] | undefined {
  const found = new Set<string>();
  const { scope, scp } = claims;
  if (scope !== undefined && (typeof scope !== 'string' || !tokens(scope, found))) return undefined;
  if (scp !== undefined) {
    if (typeof scp === 'string') {
      if (!tokens(scp, found)) return undefined;
    } else if (Array.isArray(scp)) {
      for (const item of scp as readonly unknown[]) {
        if (typeof item !== 'string' || !SCOPE_TOKEN.test(item)) return undefined;
        found.add(item);
      }
    } else {
      return undefined;
    }
  }
  if (found.size > MAX_TOKEN_SCOPES) return undefined;
  return Object.freeze([...found]);
}

/** Validates scopes a route requires, once, when the route is declared. */
export function checkRequiredScopes(scopes: readonly string[] | undefined): readonly string[] {
  if (scopes === undefined) return [];
  if (!Array.isArray(scopes) || !scopes.every((scope): scope is string => typeof scope === 'string' && SCOPE_TOKEN.test(scope))) {
    throw new ConfigurationError('required scopes must be a list of RFC 6749 scope tokens');
  }
  return Object.freeze([...new Set(scopes)]);
}
