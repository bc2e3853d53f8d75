import type { RequestView } from '@rampart/core/http';
import type { FastifyInstance } from 'fastify';
import { documented } from '../openapi/schemas.js';

/**
 * Which unsafe requests the CSRF guard checks: every request a browser could have sent on the user's behalf — it
 * carries a `Cookie` header (an ambient credential), an `Origin`, or Fetch Metadata (`Sec-Fetch-Site`, sent by every
 * current browser on every request). A request with none of them came from a program (curl, a mobile app, another
 * service) that holds its credential explicitly (bearer token, API key, or none): a page on another site cannot make
 * a browser send a request without those headers, so there is nothing to forge.
 *
 * Core's default also checks cookie-less, header-less calls; the server's JSON API is called by programs that never
 * have an origin, so that default would refuse them all. The loosening is logged once as `config.loosened` when the
 * guard is built. Login CSRF stays covered: a cross-site form posting credentials comes from a browser, which sends
 * `Origin` and `Sec-Fetch-Site`.
 */
export function browserRequest(request: RequestView): boolean {
  return request.header('cookie') !== undefined || request.header('origin') !== undefined || request.header('sec-fetch-site') !== undefined;
}

/**
 * `GET /v1/csrf` → `{ token }`: the CSRF token bound to the caller's session (or to "no session" before login), for a
 * same-origin script to send as `x-csrf-token`. The token also comes as the `__Host-csrf` cookie (HttpOnly), which the
 * guard compares with the header. A cross-site page cannot read this response (no CORS allows it).
 */
export function csrfRoute(app: FastifyInstance): void {
  app.get('/v1/csrf', documented({ tags: ['session'], summary: 'The CSRF token bound to this browser session, for the x-csrf-token header' }), (request, reply) => {
    void reply.header('cache-control', 'no-store');
    return { token: request.rampart?.csrfToken ?? null };
  });
}
