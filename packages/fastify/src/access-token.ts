import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { correlationIdFrom } from '@rampart/core/http';
import {
  accessTokenGate,
  peerCertificateOf,
  requestUrlOf,
  type AccessTokenPrincipal,
  type AccessTokenRouteOptions,
  type ResourceServer,
} from '@rampart/core/token';
import { sendProblem } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requireAccessToken(...)` on every request whose access token it accepted. */
    accessToken?: AccessTokenPrincipal;
  }
}

/** Options of {@link requireAccessToken}: the route's scopes and hand-off, plus where the client certificate comes from. */
export interface RequireAccessTokenOptions extends AccessTokenRouteOptions {
  /**
   * The TLS client certificate (DER) for certificate-bound tokens. Default: the connection's own. Behind a proxy that
   * terminates TLS, read the certificate it forwards, and only from a proxy you trust.
   */
  readonly peerCertificate?: (request: FastifyRequest) => Uint8Array | undefined;
}

function correlationIdOf(request: FastifyRequest): string {
  const traceparent = request.headers.traceparent;
  return request.rampart?.correlationId ?? correlationIdFrom(typeof traceparent === 'string' ? traceparent : undefined);
}

/**
 * Protects a route with OAuth 2.1 access tokens, as an `onRequest` hook (before the body is read, so a request without
 * a valid token never has its body parsed): `app.get('/orders', { onRequest: requireAccessToken(rs, { scopes:
 * ['orders:read'] }) }, handler)`, `rs` being the service's `createResourceServer(...)`; it also works as a
 * `preHandler`. The handler runs only for an accepted token, with the principal in `request.accessToken` (and, under
 * the Rampart plugin, in the chain's `ACCESS_TOKEN`, `AUTHZ_PRINCIPAL` and `AUTHZ_AUTHENTICATION`, so `authorize(...)`
 * decides with the token's scopes).
 *
 * Protects against requests without a valid token, stolen DPoP- or certificate-bound tokens (the client certificate is
 * read from the TLS socket), replayed proofs and tokens lacking the route's scopes: refused with 401 / 403 (RFC 6750 /
 * RFC 9449 `WWW-Authenticate`) or 400, 503 when the token cannot be checked, always as an RFC 9457 problem that names
 * no reason. Fails closed.
 */
export function requireAccessToken(resourceServer: ResourceServer, options: RequireAccessTokenOptions = {}): onRequestAsyncHookHandler {
  const gate = accessTokenGate(resourceServer, options);
  const certificateOf = options.peerCertificate ?? ((request: FastifyRequest) => peerCertificateOf(request.raw.socket));
  return async function rampartAccessToken(request, reply): Promise<void> {
    const correlationId = correlationIdOf(request);
    let peerCertificate: Uint8Array | undefined;
    try {
      peerCertificate = certificateOf(request);
    } catch {
      peerCertificate = undefined;
    }
    const raw = request.raw;
    const url = requestUrlOf({
      origin: gate.origin,
      tls: (raw.socket as { encrypted?: boolean }).encrypted === true,
      host: raw.headers.host,
      target: raw.url ?? '/',
    });
    const input = { method: raw.method ?? 'GET', url, headers: raw.headers, correlationId, ...(peerCertificate === undefined ? {} : { peerCertificate }) };
    const outcome = await gate.run(input, request.rampart ?? undefined);
    // An async hook that sent the reply ends the lifecycle: the handler does not run.
    if (outcome.allowed) request.accessToken = outcome.principal;
    else await sendProblem(reply, outcome.problem, correlationId);
  };
}
