import type { Clock } from '@rampart/core';
import type { SessionManager } from '@rampart/core/session';
import { compile, Type } from '@rampart/core/validate';
import { ProblemError } from '@rampart/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthMethod } from '../auth/identity.js';
import { requireIdentity } from '../auth/guards.js';
import { clearSessionCookie, sessionIdOf, setSessionCookie } from '../auth/session-cookie.js';
import type { LoginEvents } from './events.js';
import { secondsUntil } from './flow.js';
import { bodyOf, clientIp, sendJson } from './http.js';
import { CODE, CODE_METHOD, PASSWORD } from './login-routes.js';
import { SESSION_GONE, SESSION_NOT_FOUND } from './problems.js';
import { reauthenticate, type ReauthenticationDeps } from './reauthenticate.js';
import { AccountSessions } from './account-sessions.js';
import { documented, responses } from '../openapi/schemas.js';

/** What the session routes are built from. */
export interface SessionRouteDeps extends ReauthenticationDeps {
  readonly sessions: SessionManager;
  readonly clock: Clock;
  readonly events: LoginEvents;
}

const stepUpBody = compile(Type.Object({ password: PASSWORD, method: Type.Optional(CODE_METHOD), code: Type.Optional(CODE) }));

/**
 * Gives the caller's session a fresh full authentication: a new id (the privilege changed, so the old id dies in the
 * same atomic step), `fullyAuthenticatedAt` and `authTime` set to now, `amr` to what was just proved; sets the cookie
 * (and re-binds the CSRF token) and answers `200 {"status":"stepped_up",…}`. Call only after the factors verified —
 * the password route below, or the MFA module's passkey step-up.
 *
 * Protects against a step-up being carried by a session id that an attacker may already know (it rotates), and against
 * a half-done step-up (the facts are written with the new id in one step, never seen on the old one).
 */
export async function stepUpSession(
  deps: { readonly sessions: SessionManager; readonly clock: Clock; readonly events: LoginEvents },
  request: FastifyRequest,
  reply: FastifyReply,
  amr: readonly AuthMethod[],
): Promise<void> {
  const now = await rotateForStepUp(deps, request, reply, amr);
  void sendJson(reply, 200, { status: 'stepped_up', fullyAuthenticatedAt: new Date(now).toISOString() });
}

/**
 * {@link stepUpSession} without a body (the pages answer with a redirect): rotates the session with the fresh facts,
 * sets the cookie on `reply`, emits the event; returns the new `fullyAuthenticatedAt`. Same protections.
 */
export async function rotateForStepUp(
  deps: { readonly sessions: SessionManager; readonly clock: Clock; readonly events: LoginEvents },
  request: FastifyRequest,
  reply: FastifyReply,
  amr: readonly AuthMethod[],
): Promise<number> {
  const identity = requireIdentity(request, ['session']);
  const now = deps.clock.now();
  const rotated = await deps.sessions.rotate(sessionIdOf(request), { privilegeChanged: true, data: { authTime: now, amr: [...amr], fullyAuthenticatedAt: now } });
  if (!rotated.ok) throw new ProblemError(SESSION_GONE);
  setSessionCookie(request, reply, rotated.value.id, { maxAgeSeconds: secondsUntil(rotated.value.session.absoluteExpiresAt, now) });
  deps.events('auth.login.succeeded', identity.userId, { stage: 'step_up', amr: amr.join(' '), clientIp: clientIp(request) });
  return now;
}

/**
 * Ends the caller's browser session: revoked in the store (not just forgotten by the browser), the cookie cleared and
 * the CSRF token re-bound to "no session" on `reply`. Shared by `POST /v1/logout` and the sign-out form.
 */
export async function endSession(sessions: SessionManager, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  requireIdentity(request, ['session']);
  await sessions.revoke(sessionIdOf(request));
  clearSessionCookie(request, reply);
}

/**
 * `POST /v1/logout`, `POST /v1/session/step-up`, `GET /v1/sessions`, `DELETE /v1/sessions/:handle`,
 * `DELETE /v1/sessions`.
 *
 * Protects against: sessions outliving a logout (revoked in the store, not just forgotten by the browser); a stolen
 * session doing sensitive work (step-up re-verifies the password and second factor, throttled per account, and
 * rotates the id); a user being unable to end a stolen session (list and revoke by public handle, or all others at
 * once); one user ending or even probing another's sessions (a handle is looked up only among the caller's own, and
 * another user's handle gets the same 404 as an unknown one); session ids leaking through the list (handles only).
 */
export function registerSessionRoutes(app: FastifyInstance, deps: SessionRouteDeps): void {
  const { sessions } = deps;
  const own = new AccountSessions(sessions);

  app.post('/v1/logout', documented({ tags: ['session'], summary: 'End this browser session', security: ['session'], responses: responses({}, 401, 403) }), async (request, reply) => {
    await endSession(sessions, request, reply);
    return reply.code(204).header('cache-control', 'no-store').send();
  });

  app.post('/v1/session/step-up', documented({ tags: ['session'], summary: 'Prove the password (and second factor) again: a new session id with a fresh full authentication', security: ['session'], body: stepUpBody, responses: responses({}, 400, 401, 403, 429) }), async (request, reply) => {
    const identity = requireIdentity(request, ['session']);
    const body = bodyOf(stepUpBody, request, reply);
    if (body === undefined) return reply;
    const { amr } = await reauthenticate(deps, request, identity.userId, body, { stage: 'step_up', withSecondFactor: true });
    await stepUpSession(deps, request, reply, amr);
    return reply;
  });

  // Listing is read-only and shows handles, never ids: an access token (a first-party app) may list the account's
  // browser sessions too. Ending sessions takes the browser session itself.
  app.get('/v1/sessions', documented({ tags: ['session'], summary: 'The caller\'s live sessions (handles, never ids)', security: ['session', 'bearer'], responses: responses({}, 401) }), async (request, reply) => {
    const identity = requireIdentity(request, ['session', 'access_token']);
    const current = identity.source === 'session' ? sessionIdOf(request) : undefined;
    const listed = await own.list(identity.userId, current);
    return sendJson(reply, 200, {
      sessions: listed.map((s) => ({
        handle: s.handle,
        createdAt: new Date(s.createdAt).toISOString(),
        lastSeenAt: new Date(s.lastSeenAt).toISOString(),
        current: s.current,
      })),
    });
  });

  app.delete<{ Params: { handle: string } }>('/v1/sessions/:handle', documented({ tags: ['session'], summary: 'End one of the caller\'s sessions by handle', security: ['session'], responses: responses({}, 401, 403, 404) }), async (request, reply) => {
    const identity = requireIdentity(request, ['session']);
    const { handle } = request.params;
    // Another user's handle and a made-up one take the same path to the same 404: the lookup is within the caller's own.
    if (!(await own.revoke(identity.userId, handle))) throw new ProblemError(SESSION_NOT_FOUND);
    if (handle === identity.sessionHandle) clearSessionCookie(request, reply);
    return reply.code(204).header('cache-control', 'no-store').send();
  });

  app.delete('/v1/sessions', documented({ tags: ['session'], summary: 'End every other session of the caller', security: ['session'], responses: responses({}, 401, 403) }), async (request, reply) => {
    const identity = requireIdentity(request, ['session']);
    const revoked = await own.revokeOthers(identity.userId, sessionIdOf(request));
    return sendJson(reply, 200, { revoked });
  });
}
