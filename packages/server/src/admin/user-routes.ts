import type { SessionManager } from '@rampart/core/session';
import type { ApiKeys } from '@rampart/core/token';
import type { Static } from '@rampart/core/validate';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { publicKeyView } from '../authz/api-keys/keys.js';
import type { RequireAdmin } from '../authz/index.js';
import { clientIp, correlationId, sendJson, sendProblem } from '../authz/http.js';
import { SECURITY } from '../openapi/index.js';
import { responses } from '../openapi/schemas.js';
import type { AdminEvents } from './events.js';
import { API_KEY_NOT_FOUND, CANNOT_LOCK_SELF, USER_NOT_FOUND } from './problems.js';
import { ApiKeyList, KeyParams, LockResult, SessionList, SessionsRevoked, UnlockResult, UserDetail, UserPage, UserParams, UsersQuery } from './schemas.js';
import { DEFAULT_PAGE, type AdminUsers } from './users.js';

/** What the user administration routes are built from. */
export interface UserRouteDeps {
  readonly users: AdminUsers;
  readonly sessions: SessionManager;
  readonly keys: ApiKeys;
  readonly requireAdmin: RequireAdmin;
  readonly events: AdminEvents;
}

const TAGS = ['admin'];
const AUTH = [SECURITY.session, SECURITY.bearer];

/** The facts every administrator event carries: who, from where, under which request. */
function actor(request: FastifyRequest, adminId: string): Record<string, string> {
  return { by: adminId, route: request.routeOptions.url ?? '', clientIp: clientIp(request), correlationId: correlationId(request) };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The account administration routes under `/v1/admin`: list and inspect accounts, lock and unlock them, list and end
 * their sessions, list and revoke their API keys. Every route needs the global `admin` role (`requireAdmin`, a session
 * or an access token, never an API key); every change also needs a step-up within 10 minutes; every call is an event.
 *
 * Protects against: broken function-level authorization (OWASP API5: a non-administrator gets `403
 * authz.admin_required`); a stolen administrator session acting without re-proving its factors (`403
 * auth.step_up_required`); a compromised account keeping access after it is locked (its sessions, refresh families
 * and API keys end with the lock, and every authenticator reads the lock); an administrator locking themselves out;
 * injection and traversal through ids and filters (closed patterns on every path and query value, bound SQL values,
 * a literal `LIKE` prefix); resource exhaustion by page size (1–100, else 400); personal data in caches (`no-store`).
 */
export function registerUserRoutes(app: FastifyInstance, deps: UserRouteDeps): void {
  const { users, sessions, keys, requireAdmin, events } = deps;

  app.get(
    '/v1/admin/users',
    { schema: { tags: TAGS, summary: 'List accounts (ordered by id, filtered by address prefix)', security: AUTH, querystring: UsersQuery, response: responses({ 200: UserPage }, 400, 401, 403) } },
    async (request, reply) => {
      const admin = await requireAdmin(request, 'read');
      const query = request.query as Static<typeof UsersQuery>;
      const page = await users.list({
        limit: query.limit === undefined ? DEFAULT_PAGE : Number(query.limit),
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        ...(query.email === undefined ? {} : { emailPrefix: query.email }),
      });
      events('admin.accessed', admin.userId, { ...actor(request, admin.userId), what: 'users', count: page.users.length, filtered: query.email !== undefined });
      return sendJson(reply, 200, page);
    },
  );

  app.get(
    '/v1/admin/users/:id',
    { schema: { tags: TAGS, summary: 'One account: profile, factors, lock, sessions and API keys counted', security: AUTH, params: UserParams, response: responses({ 200: UserDetail }, 400, 401, 403, 404) } },
    async (request, reply) => {
      const admin = await requireAdmin(request, 'read');
      const { id } = request.params as Static<typeof UserParams>;
      const detail = await users.detail(id);
      if (detail === undefined) return sendProblem(request, reply, USER_NOT_FOUND);
      events('admin.accessed', admin.userId, { ...actor(request, admin.userId), what: 'user', target: id });
      return sendJson(reply, 200, detail);
    },
  );

  app.post(
    '/v1/admin/users/:id/lock',
    {
      schema: {
        tags: TAGS,
        summary: 'Lock an account: no sign-in; every session, refresh token and API key of it ends (step-up)',
        security: AUTH,
        params: UserParams,
        response: responses({ 200: LockResult }, 400, 401, 403, 404, 409),
      },
    },
    async (request, reply) => {
      const admin = await requireAdmin(request, 'write');
      const { id } = request.params as Static<typeof UserParams>;
      if (id === admin.userId) return sendProblem(request, reply, CANNOT_LOCK_SELF);
      const outcome = await users.lock(id);
      if (outcome === undefined) return sendProblem(request, reply, USER_NOT_FOUND);
      const { lockedAt, changed, revokedSessions, revokedTokenFamilies, revokedApiKeys } = outcome;
      events('account.disabled', id, { ...actor(request, admin.userId), changed, revokedSessions, revokedTokenFamilies, revokedApiKeys });
      return sendJson(reply, 200, { id, locked: true, lockedAt, changed, revokedSessions, revokedTokenFamilies, revokedApiKeys });
    },
  );

  app.post(
    '/v1/admin/users/:id/unlock',
    { schema: { tags: TAGS, summary: 'Unlock an account (step-up)', security: AUTH, params: UserParams, response: responses({ 200: UnlockResult }, 400, 401, 403, 404) } },
    async (request, reply) => {
      const admin = await requireAdmin(request, 'write');
      const { id } = request.params as Static<typeof UserParams>;
      const changed = await users.unlock(id);
      if (changed === undefined) return sendProblem(request, reply, USER_NOT_FOUND);
      events('account.enabled', id, { ...actor(request, admin.userId), changed });
      return sendJson(reply, 200, { id, locked: false, changed });
    },
  );

  app.get(
    '/v1/admin/users/:id/sessions',
    { schema: { tags: TAGS, summary: 'The account’s live sessions (handles, never ids)', security: AUTH, params: UserParams, response: responses({ 200: SessionList }, 400, 401, 403, 404) } },
    async (request, reply) => {
      const admin = await requireAdmin(request, 'read');
      const { id } = request.params as Static<typeof UserParams>;
      if (!(await users.exists(id))) return sendProblem(request, reply, USER_NOT_FOUND);
      const listed = await sessions.list(id);
      events('admin.accessed', admin.userId, { ...actor(request, admin.userId), what: 'sessions', target: id, count: listed.length });
      return sendJson(reply, 200, {
        sessions: listed.map((s) => ({ handle: s.handle, createdAt: iso(s.createdAt), lastSeenAt: iso(s.lastSeenAt), idleExpiresAt: iso(s.idleExpiresAt), absoluteExpiresAt: iso(s.absoluteExpiresAt) })),
      });
    },
  );

  app.delete(
    '/v1/admin/users/:id/sessions',
    { schema: { tags: TAGS, summary: 'End every session and refresh token of the account (step-up)', security: AUTH, params: UserParams, response: responses({ 200: SessionsRevoked }, 400, 401, 403, 404) } },
    async (request, reply) => {
      const admin = await requireAdmin(request, 'write');
      const { id } = request.params as Static<typeof UserParams>;
      if (!(await users.exists(id))) return sendProblem(request, reply, USER_NOT_FOUND);
      const revoked = await users.revokeSessions(id);
      events('account.credentials_revoked', id, { ...actor(request, admin.userId), what: 'sessions', ...revoked });
      return sendJson(reply, 200, revoked);
    },
  );

  app.get(
    '/v1/admin/users/:id/api-keys',
    { schema: { tags: TAGS, summary: 'The account’s API keys (never a secret or a hash)', security: AUTH, params: UserParams, response: responses({ 200: ApiKeyList }, 400, 401, 403, 404) } },
    async (request, reply) => {
      const admin = await requireAdmin(request, 'read');
      const { id } = request.params as Static<typeof UserParams>;
      if (!(await users.exists(id))) return sendProblem(request, reply, USER_NOT_FOUND);
      // Live keys are bounded (25 per account); revoked and expired ones are kept for review: newest 100.
      const listed = (await keys.list(id)).sort((a, b) => b.createdAt - a.createdAt).slice(0, 100);
      events('admin.accessed', admin.userId, { ...actor(request, admin.userId), what: 'api_keys', target: id, count: listed.length });
      return sendJson(reply, 200, { keys: listed.map(publicKeyView) });
    },
  );

  app.delete(
    '/v1/admin/api-keys/:keyId',
    { schema: { tags: TAGS, summary: 'Revoke any account’s API key (step-up)', security: AUTH, params: KeyParams, response: responses({ 204: { type: 'null', description: 'Revoked (also when it already was)' } }, 400, 401, 403, 404) } },
    async (request, reply) => {
      const admin = await requireAdmin(request, 'write');
      const { keyId } = request.params as Static<typeof KeyParams>;
      const owner = await users.apiKeyOwner(keyId);
      if (owner === undefined) return sendProblem(request, reply, API_KEY_NOT_FOUND);
      // Core emits token.apikey.revoked (the owner as subject) on the first revocation; this event names the administrator.
      const revoked = await keys.revoke(keyId);
      events('account.credentials_revoked', owner, { ...actor(request, admin.userId), what: 'api_key', keyId, changed: revoked });
      return reply.code(204).header('cache-control', 'no-store').send();
    },
  );
}
