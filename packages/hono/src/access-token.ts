import type { IncomingHttpHeaders } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { correlationIdFrom } from '@rampart/core/http';
import {
  accessTokenGate,
  peerCertificateOf,
  requestUrlOf,
  type AccessTokenPrincipal,
  type AccessTokenRouteOptions,
  type ResourceServer,
} from '@rampart/core/token';
import type { RampartVariables } from './env.js';
import { problemResponse } from './problem.js';

/** The context variable `requireAccessToken(...)` sets. */
export interface AccessTokenVariables {
  /** The caller, as its accepted access token describes it. */
  accessToken: AccessTokenPrincipal;
}

/**
 * The environment of the middleware: declare the app as `new Hono<RampartEnv>()`, and handlers after
 * `requireAccessToken(...)` see `c.get('accessToken')` typed (Hono merges the middleware's environment into theirs).
 */
export interface AccessTokenEnv {
  Variables: RampartVariables & AccessTokenVariables;
}

/** Options of {@link requireAccessToken}: the route's scopes and hand-off, plus what only the runtime knows. */
export interface RequireAccessTokenOptions extends AccessTokenRouteOptions {
  /**
   * The TLS client certificate (DER) for certificate-bound tokens. Default: `c.env.incoming.socket`'s under
   * `@hono/node-server`, none elsewhere. Behind a proxy that terminates TLS, read the certificate it forwards, and only
   * from a proxy you trust.
   */
  readonly peerCertificate?: (c: Context) => Uint8Array | undefined;
}

interface NodeIncomingLike {
  readonly socket?: unknown;
  readonly headers?: IncomingHttpHeaders;
  readonly url?: string;
}

/** Node's request under `@hono/node-server`, read structurally so this package needs no dependency on it. */
function nodeIncoming(c: Context): NodeIncomingLike | undefined {
  return (c.env as { incoming?: NodeIncomingLike } | undefined)?.incoming;
}

/**
 * Protects a route with OAuth 2.1 access tokens: `app.get('/orders', requireAccessToken(rs, { scopes: ['orders:read']
 * }), handler)`, `rs` being the service's `createResourceServer(...)`. The handler runs only for an accepted token, with
 * the principal in `c.get('accessToken')` (and, under `rampart()`, in the chain's `ACCESS_TOKEN`, `AUTHZ_PRINCIPAL` and
 * `AUTHZ_AUTHENTICATION`, so `authorize(...)` decides with the token's scopes).
 *
 * Protects against requests without a valid token, stolen DPoP- or certificate-bound tokens (under
 * `@hono/node-server` the client certificate is read from the TLS socket), replayed proofs and tokens lacking the
 * route's scopes: refused with 401 / 403 (RFC 6750 / RFC 9449 `WWW-Authenticate`) or 400, 503 when the token cannot be
 * checked, always as an RFC 9457 problem that names no reason. Fails closed.
 */
export function requireAccessToken(resourceServer: ResourceServer, options: RequireAccessTokenOptions = {}): MiddlewareHandler<AccessTokenEnv> {
  const gate = accessTokenGate(resourceServer, options);
  const certificateOf = options.peerCertificate ?? ((c: Context) => peerCertificateOf(nodeIncoming(c)?.socket));
  return async function rampartAccessToken(c, next) {
    // Typed as always set, but the middleware may be mounted without `rampart()` in front of it.
    const state = c.get('rampart') as AccessTokenEnv['Variables']['rampart'] | undefined;
    const correlationId = state?.correlationId ?? correlationIdFrom(c.req.header('traceparent'));
    let peerCertificate: Uint8Array | undefined;
    try {
      peerCertificate = certificateOf(c);
    } catch {
      peerCertificate = undefined;
    }
    const incoming = nodeIncoming(c);
    // Under @hono/node-server: Node's own headers, socket and target, as the Express and Fastify adapters read them.
    // Elsewhere: the runtime's URL, or the configured public origin with its path.
    const url =
      incoming?.headers === undefined
        ? gate.origin === undefined
          ? c.req.url
          : requestUrlOf({ origin: gate.origin, tls: false, host: undefined, target: c.req.url })
        : requestUrlOf({
            origin: gate.origin,
            tls: (incoming.socket as { encrypted?: boolean } | undefined)?.encrypted === true,
            host: incoming.headers.host,
            target: incoming.url ?? '/',
          });
    const headers = incoming?.headers ?? c.req.raw.headers;
    const input = { method: c.req.method, url, headers, correlationId, ...(peerCertificate === undefined ? {} : { peerCertificate }) };
    const outcome = await gate.run(input, state);
    if (!outcome.allowed) return problemResponse(c, outcome.problem, correlationId);
    c.set('accessToken', outcome.principal);
    await next();
    return undefined;
  };
}
