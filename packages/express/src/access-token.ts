import type { Request, RequestHandler } from 'express';
import {
  accessTokenGate,
  peerCertificateOf,
  requestUrlOf,
  type AccessTokenPrincipal,
  type AccessTokenRouteOptions,
  type ResourceServer,
} from '@rampart/core/token';
import { correlationIdOf, sendProblem } from './problem.js';

declare module 'express-serve-static-core' {
  interface Locals {
    /** Set by `requireAccessToken(...)` on every request whose access token it accepted. */
    accessToken?: AccessTokenPrincipal;
  }
}

/** Options of {@link requireAccessToken}: the route's scopes and hand-off, plus where the client certificate comes from. */
export interface RequireAccessTokenOptions extends AccessTokenRouteOptions {
  /**
   * The TLS client certificate (DER) for certificate-bound tokens. Default: the connection's own
   * (`req.socket.getPeerCertificate()`). Behind a proxy that terminates TLS, read the certificate it forwards, and only
   * from a proxy you trust.
   */
  readonly peerCertificate?: (req: Request) => Uint8Array | undefined;
}

/**
 * Protects a route (or, with `app.use`, everything after it) with OAuth 2.1 access tokens:
 * `app.get('/orders', requireAccessToken(rs, { scopes: ['orders:read'] }), handler)`, `rs` being the service's
 * `createResourceServer(...)`. Reads the TLS client certificate from the socket for certificate-bound tokens and the
 * `DPoP` header for DPoP-bound ones; the handler runs only for an accepted token, with the principal in
 * `res.locals.accessToken` (and, under `rampart()`, in the chain's `ACCESS_TOKEN`, `AUTHZ_PRINCIPAL` and
 * `AUTHZ_AUTHENTICATION`, so `authorize(...)` after it decides with the token's scopes).
 *
 * Protects against requests without a valid token, stolen DPoP- or certificate-bound tokens, replayed proofs and
 * tokens lacking the route's scopes: refused with 401 / 403 (RFC 6750 / RFC 9449 `WWW-Authenticate`) or 400, 503 when
 * the token cannot be checked, always as an RFC 9457 problem that names no reason. Fails closed.
 */
export function requireAccessToken(resourceServer: ResourceServer, options: RequireAccessTokenOptions = {}): RequestHandler {
  const gate = accessTokenGate(resourceServer, options);
  const certificateOf = options.peerCertificate ?? ((req: Request) => peerCertificateOf(req.socket));
  return function rampartAccessToken(req, res, next) {
    const correlationId = correlationIdOf(req, res);
    let peerCertificate: Uint8Array | undefined;
    try {
      peerCertificate = certificateOf(req);
    } catch {
      peerCertificate = undefined;
    }
    const url = requestUrlOf({
      origin: gate.origin,
      tls: (req.socket as { encrypted?: boolean }).encrypted === true,
      host: req.headers.host,
      // `originalUrl`: under `app.use('/api', …)` the proof names the path the client sent, not the remainder.
      target: req.originalUrl,
    });
    const request = { method: req.method, url, headers: req.headers, correlationId, ...(peerCertificate === undefined ? {} : { peerCertificate }) };
    return gate.run(request, res.locals.rampart).then((outcome) => {
      if (outcome.allowed) {
        res.locals.accessToken = outcome.principal;
        next();
      } else {
        sendProblem(res, outcome.problem, correlationId);
      }
    });
  };
}
