import { ConfigurationError } from '../../errors.js';
import { AUTHZ_AUTHENTICATION, AUTHZ_PRINCIPAL } from '../../http/adapter/authorize.js';
import type { RampartState } from '../../http/adapter/state.js';
import { contextKey, type ContextKey } from '../../http/chain/types.js';
import { INTERNAL_ERROR, type Problem } from '../../http/problem/problem.js';
import { subjectAsPrincipal, type AuthzPrincipalMapper } from './authz.js';
import type { AccessTokenPrincipal } from './principal.js';
import type { AccessTokenRefusal } from './reasons.js';
import type { ResourceRequest } from './request.js';
import type { AuthenticationResult, ResourceServer } from './resource-server.js';
import { checkRequiredScopes } from './scopes.js';

/** The verified access token's caller, in the chain's context (`state.get(ACCESS_TOKEN)` in every adapter). */
export const ACCESS_TOKEN: ContextKey<AccessTokenPrincipal> = contextKey<AccessTokenPrincipal>('access-token');

/** Options of the per-route middleware every adapter builds on {@link accessTokenGate}. */
export interface AccessTokenRouteOptions {
  /** Scopes the route needs, all of them (403 `insufficient_scope` otherwise). Default: none beyond a valid token. */
  readonly scopes?: readonly string[];
  /**
   * The principal handed to `authorize(...)` (the chain's `AUTHZ_PRINCIPAL`, with the token's scopes as
   * `AUTHZ_AUTHENTICATION`). Default: the token's subject, no roles. `false`: leave the chain's principal alone.
   */
  readonly authzPrincipal?: AuthzPrincipalMapper | false;
  /**
   * The public origin of this service (`https://api.example`), used to rebuild the request URL a DPoP proof's `htu`
   * is compared with. Set it behind a TLS-terminating proxy or load balancer. Default: the connection's scheme and
   * the `Host` header.
   */
  readonly origin?: string;
}

/** Allowed (the principal is in the context), or the problem to answer with. */
export type AccessTokenOutcome =
  | { readonly allowed: true; readonly principal: AccessTokenPrincipal }
  | { readonly allowed: false; readonly problem: Problem; readonly refusal: AccessTokenRefusal | undefined };

/** The framework-free part of the adapters' middleware: one per route, built when the route is declared. */
export interface AccessTokenGate {
  /** The route's checked public origin, if configured. */
  readonly origin: string | undefined;
  /** Authenticates, checks scopes, fills the chain's context; never throws. */
  run(request: ResourceRequest, state: RampartState | undefined): Promise<AccessTokenOutcome>;
}

/** Validates a configured public origin: an http(s) origin and nothing more (no path, query or credentials). */
export function checkOrigin(origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new ConfigurationError('origin must be an origin such as https://api.example');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin.replace(/\/$/, '')) {
    throw new ConfigurationError('origin must be an origin such as https://api.example (scheme, host and port only)');
  }
  return url.origin;
}

/**
 * Builds the gate: authenticate with `resourceServer`, require the route's scopes, and hand the principal to the
 * rest of the request (the chain's `ACCESS_TOKEN`, `AUTHZ_PRINCIPAL` and `AUTHZ_AUTHENTICATION`, which the adapters'
 * `authorize(...)` reads). Protects routes against requests without a valid, properly bound token and against tokens
 * without the route's scopes; fails closed (a principal mapper that throws is a 500, the request does not go on).
 */
export function accessTokenGate(resourceServer: ResourceServer, options: AccessTokenRouteOptions = {}): AccessTokenGate {
  if (typeof resourceServer !== 'object' || typeof (resourceServer as { authenticate?: unknown }).authenticate !== 'function') {
    throw new ConfigurationError('pass the service’s resource server (createResourceServer)');
  }
  const scopes = checkRequiredScopes(options.scopes);
  const origin = checkOrigin(options.origin);
  const mapper = options.authzPrincipal === false ? undefined : (options.authzPrincipal ?? subjectAsPrincipal);

  async function run(request: ResourceRequest, state: RampartState | undefined): Promise<AccessTokenOutcome> {
    let result: AuthenticationResult;
    try {
      result = await resourceServer.authenticate(request);
      if (result.ok && scopes.length > 0) result = resourceServer.requireScopes(result.value, scopes, request.correlationId);
    } catch {
      return { allowed: false, problem: INTERNAL_ERROR, refusal: undefined };
    }
    if (!result.ok) return { allowed: false, problem: resourceServer.problem(result), refusal: result };
    const principal = result.value;
    if (state !== undefined) {
      try {
        state.context.set(ACCESS_TOKEN, principal);
        if (mapper !== undefined) {
          state.context.set(AUTHZ_PRINCIPAL, mapper(principal));
          state.context.set(AUTHZ_AUTHENTICATION, { scopes: principal.scopes });
        }
      } catch {
        return { allowed: false, problem: INTERNAL_ERROR, refusal: undefined };
      }
    }
    return { allowed: true, principal };
  }

  return { origin, run };
}

/** A Node socket as far as the certificate is concerned (`tls.TLSSocket`), read structurally. */
interface TlsSocketLike {
  readonly encrypted?: boolean;
  getPeerCertificate?(detailed?: boolean): { readonly raw?: unknown } | null | undefined;
}

/**
 * The TLS client certificate of a Node connection, DER-encoded, or `undefined` on plain TCP or when the client sent
 * none. For the RFC 8705 check the server must ask for certificates (`requestCert: true`); whether it also verifies
 * them against a CA (`rejectUnauthorized`) does not matter to the binding, which compares the exact certificate.
 */
export function peerCertificateOf(socket: unknown): Uint8Array | undefined {
  const tls = socket as TlsSocketLike | null | undefined;
  if (tls?.encrypted !== true || typeof tls.getPeerCertificate !== 'function') return undefined;
  let certificate: { readonly raw?: unknown } | null | undefined;
  try {
    certificate = tls.getPeerCertificate(false);
  } catch {
    return undefined;
  }
  const raw = certificate?.raw;
  return raw instanceof Uint8Array && raw.byteLength > 0 ? raw : undefined;
}

/** RFC 9110 §7.2 `Host = uri-host [ ":" port ]`: a registered name or IPv4 address, or a bracketed IPv6 literal. */
const HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The path and query of a request target, whether origin-form (`/a?b`) or absolute-form (`https://h/a?b`). */
function pathAndQuery(target: string): string {
  if (target.startsWith('/')) return target;
  try {
    const url = new URL(target);
    return `${url.pathname}${url.search}`;
  } catch {
    return '/';
  }
}

/**
 * The absolute URL of a request as this service is reached: the configured public `origin` when there is one, else the
 * connection's scheme and the `Host` header, followed by the target's path and query. A missing or unusable `Host`
 * yields an empty string, which no proof's `htu` matches: the proof is refused rather than matched against a guess.
 */
export function requestUrlOf(parts: { readonly origin: string | undefined; readonly tls: boolean; readonly host: string | undefined; readonly target: string }): string {
  if (parts.origin !== undefined) return `${parts.origin}${pathAndQuery(parts.target)}`;
  // Only a plain host[:port]: without one, `http:///orders` would parse as the host `orders`, and a Host carrying
  // `/`, `?`, `#` or `@` would move the path or add credentials.
  if (parts.host === undefined || !HOST.test(parts.host)) return '';
  return `${parts.tls ? 'https' : 'http'}://${parts.host}${pathAndQuery(parts.target)}`;
}

