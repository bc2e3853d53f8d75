import type { Clock } from '@rampart/core';
import { problem } from '@rampart/core/http';
import { compile, Type } from '@rampart/core/validate';
import type { FastifyInstance } from 'fastify';
import { requireIdentity, requireStepUp } from '../../auth/guards.js';
import { sendJson, sendProblem, validated } from '../http.js';
import type { AccountApiKeys } from './account-keys.js';
import { API_KEY_SCOPES, MAX_LIVE_KEYS_PER_USER, publicKeyView } from './keys.js';
import { documented, responses } from '../../openapi/schemas.js';

// A label for the owner's list: printable, no control or bidi characters (it is shown in pages and terminals).
export const API_KEY_NAME = Type.String({ pattern: '^[^\\u0000-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069]{1,100}$' });
const SCOPES = Type.Array(Type.Union(API_KEY_SCOPES.map((scope) => Type.Literal(scope))), { minItems: 1, maxItems: API_KEY_SCOPES.length, uniqueItems: true });

// Closed: `subject`, `neverExpires`, `prefix`, `id` and any other member are refused (mass assignment).
const createBody = compile(Type.Object({ name: API_KEY_NAME, scopes: SCOPES, expiresAt: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })) }));
// Core's id: 22 base62 characters (128 bits).
const keyParams = compile(Type.Object({ id: Type.String({ pattern: '^[0-9A-Za-z]{22}$' }) }));

/** Shortest lifetime accepted: a key that dies before it can be deployed is a mistake, not a choice. */
const NOT_FOUND = problem(404, 'not-found', 'Not Found', { code: 'apikey.not_found', detail: 'No such API key.' });

/**
 * Adds `POST /v1/api-keys`, `GET /v1/api-keys` and `DELETE /v1/api-keys/:id` for the signed-in account.
 *
 * Protects against: a machine credential minting more of itself (an API key cannot call these routes: `403
 * auth.credential_not_allowed`); a stolen session creating a backdoor key (creation needs a step-up within 10
 * minutes); over-broad or immortal keys (scopes from a closed list, 90-day default, 1-year maximum, no
 * `neverExpires`); object-level access to other accounts' keys (OWASP API1: another account's key id answers 404 like
 * an unknown one, and nothing changes); secrets at rest or in caches (the key is shown once with `no-store`; lists
 * show the public prefix and id only); one account filling the table (at most 25 live keys).
 */
export function registerApiKeyRoutes(app: FastifyInstance, keys: AccountApiKeys, clock: Clock): void {
  app.post('/v1/api-keys', documented({ tags: ['api-keys'], summary: 'Create an API key (shown once); needs a recent full authentication', security: ['session', 'bearer'], body: createBody, responses: responses({}, 400, 401, 403, 409) }), async (request, reply) => {
    const identity = requireStepUp(request, { clock });
    const body = validated(createBody, request.body, request, reply);
    if (body === undefined) return reply;
    const outcome = await keys.create(identity.userId, { name: body.name, scopes: body.scopes, ...(body.expiresAt === undefined ? {} : { expiresAt: Date.parse(body.expiresAt) }) });
    if (!outcome.ok) {
      return sendProblem(
        request,
        reply,
        outcome.reason === 'expiry_invalid'
          ? problem(400, 'api-key-expiry', 'Bad Request', { code: 'apikey.expiry_invalid', detail: 'expiresAt must be in the future and at most one year away.' })
          : problem(409, 'api-key-limit', 'Conflict', { code: 'apikey.limit_reached', detail: `An account may hold at most ${MAX_LIVE_KEYS_PER_USER} live API keys: revoke one first.` }),
      );
    }
    void reply.header('pragma', 'no-cache');
    return sendJson(reply, 201, { ...publicKeyView(outcome.created.info), key: outcome.created.key });
  });

  app.get('/v1/api-keys', documented({ tags: ['api-keys'], summary: 'The caller\'s API keys (never the secret)', security: ['session', 'bearer'], responses: responses({}, 401, 403) }), async (request, reply) => {
    const identity = requireIdentity(request, ['session', 'access_token']);
    // Newest first, so a capped list keeps the keys that matter.
    return sendJson(reply, 200, { keys: (await keys.list(identity.userId)).map(publicKeyView) });
  });

  app.delete('/v1/api-keys/:id', documented({ tags: ['api-keys'], summary: 'Revoke one of the caller\'s API keys', security: ['session', 'bearer'], params: keyParams, responses: responses({}, 401, 403, 404) }), async (request, reply) => {
    const identity = requireIdentity(request, ['session', 'access_token']);
    const params = keyParams.check(request.params);
    // A malformed id is answered like an unknown one: the route says nothing about which ids exist.
    if (!params.ok) return sendProblem(request, reply, NOT_FOUND);
    // Idempotent: an already revoked key of one's own is 204 again, and only the first revocation is an event.
    if (!(await keys.revoke(identity.userId, params.value.id))) return sendProblem(request, reply, NOT_FOUND);
    return reply.code(204).header('cache-control', 'no-store').send();
  });
}
