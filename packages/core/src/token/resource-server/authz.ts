import type { Authorizer } from '../../authz/engine/authorizer.js';
import type { CheckContext, Decision, Principal, Resource } from '../../authz/model.js';
import type { AccessTokenPrincipal } from './principal.js';

/** Turns a token's caller into the authorizer's principal (its roles come from your own store or from claims you trust). */
export type AuthzPrincipalMapper = (token: AccessTokenPrincipal) => Principal;

/**
 * The default mapping: the token's subject as the principal id, and no roles. Roles are not read from token claims by
 * default: which claim carries them, and whether this issuer may assign them, is the service's decision.
 */
export const subjectAsPrincipal: AuthzPrincipalMapper = (token) => ({ id: token.subject });

/**
 * The check context for a request made with `token`: its scopes narrow what the principal's roles allow (core's
 * authorizer: an action needs a scope that covers it **and** a role that grants it). `extra` adds the request's
 * fields, time, client address; the token's scopes always win over scopes given there.
 */
export function tokenCheckContext(token: AccessTokenPrincipal, extra: Omit<CheckContext, 'scopes'> = {}): CheckContext {
  return { ...extra, scopes: token.scopes };
}

export interface TokenAuthorizationOptions {
  /** The principal to check; default {@link subjectAsPrincipal}. */
  readonly principal?: AuthzPrincipalMapper;
  /** The rest of the check context (fields written, client address, time). */
  readonly context?: Omit<CheckContext, 'scopes'>;
}

/**
 * "May this client do `action` on `resource`?": core's `authorize()` decision for the caller of a verified access
 * token, narrowed by the token's scopes. Protects against over-broad tokens: a token for `documents:read` cannot update
 * a document even when the user behind it could, because the scopes go into every check. Returns the decision with its
 * reason for the audit trail; default deny.
 */
export function authorizeAccessToken(
  authorizer: Pick<Authorizer, 'check'>,
  token: AccessTokenPrincipal,
  action: string,
  resource: Resource,
  options: TokenAuthorizationOptions = {},
): Decision {
  const principal = (options.principal ?? subjectAsPrincipal)(token);
  return authorizer.check(principal, action, resource, tokenCheckContext(token, options.context));
}
