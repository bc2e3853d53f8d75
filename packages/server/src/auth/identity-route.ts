import type { FastifyInstance } from 'fastify';
import { requireIdentity } from './guards.js';
import { documented, responses } from '../openapi/schemas.js';

/**
 * `GET /v1/identity`: who the caller is, as the server sees it — the account id, how the request was authenticated,
 * the methods and times of that authentication, and the scopes it is narrowed to. Lets a client decide whether to ask
 * for a step-up before a sensitive call, and lets every credential type be checked the same way. Never returns a
 * secret (no session id, no token).
 */
export function identityRoute(app: FastifyInstance): void {
  app.get('/v1/identity', documented({ tags: ['session'], summary: 'Who the caller is: account, credential type, authentication methods and times, scopes', security: ['session', 'bearer', 'apiKey'], responses: responses({}, 401) }), (request, reply) => {
    const identity = requireIdentity(request);
    void reply.header('cache-control', 'no-store');
    return {
      userId: identity.userId,
      source: identity.source,
      amr: identity.amr,
      authTime: new Date(identity.authTime).toISOString(),
      fullyAuthenticatedAt: identity.fullyAuthenticatedAt === undefined ? null : new Date(identity.fullyAuthenticatedAt).toISOString(),
      scopes: identity.scopes ?? null,
    };
  });
}
