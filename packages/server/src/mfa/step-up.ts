import type { Clock } from '@rampart/core';
import type { SessionManager } from '@rampart/core/session';
import { compile, Type } from '@rampart/core/validate';
import { ProblemError } from '@rampart/fastify';
import type { FastifyInstance } from 'fastify';
import { requireIdentity } from '../auth/guards.js';
import { sessionIdOf, setSessionCookie } from '../auth/session-cookie.js';
import { bodyOf, sendJson, sendRefusal } from './http.js';
import type { ClientLimit } from './limits.js';
import type { Passkeys } from './passkeys.js';
import { PASSKEY_VERIFICATION_FAILED, PASSKEYS_UNAVAILABLE, SESSION_INVALID } from './problems.js';
import { AuthenticationCredential } from './webauthn-json.js';
import { documented, responses } from '../openapi/schemas.js';

/** What the passkey step-up routes need. */
export interface StepUpRouteDeps {
  readonly clock: Clock;
  readonly sessions: SessionManager;
  readonly passkeys: Passkeys | undefined;
  readonly limit: ClientLimit;
}

const emptyBody = compile(Type.Object({}));
const assertionBody = compile(Type.Object({ response: AuthenticationCredential }));

/**
 * Registers `POST /v1/mfa/passkeys/step-up/options` and `POST /v1/mfa/passkeys/step-up`: a signed-in browser proves
 * the account again with one of its passkeys (user verification required: possession and PIN/biometrics), and gets a
 * new session id with a fresh `fullyAuthenticatedAt`, which `requireStepUp` then accepts for 10 minutes.
 *
 * Protects against: a stolen or left-open session doing sensitive operations (the step-up needs the authenticator and
 * its user verification, which a cookie thief does not have); a ceremony started for one account finishing for
 * another (the ceremony and the credential must belong to the session's user); session fixation across the privilege
 * change (the session id is rotated, the old one dies, the CSRF token follows the new id).
 */
export function registerPasskeyStepUp(app: FastifyInstance, deps: StepUpRouteDeps): void {
  const { clock, sessions, limit } = deps;
  const passkeysOrRefuse = (): Passkeys => {
    if (deps.passkeys === undefined) throw new ProblemError(PASSKEYS_UNAVAILABLE);
    return deps.passkeys;
  };

  app.post('/v1/mfa/passkeys/step-up/options', documented({ tags: ['session'], summary: 'Passkey step-up options for this session', security: ['session'], body: emptyBody, responses: responses({}, 401, 503) }), async (request, reply) => {
    // A session only: a step-up renews the session it is made in; a token is renewed by signing in again.
    const { userId } = requireIdentity(request, ['session']);
    const passkeys = passkeysOrRefuse();
    if (await limit(request, reply)) return reply;
    if (bodyOf(emptyBody, request, reply) === undefined) return reply;
    return sendJson(reply, 200, { options: await passkeys.startAuthentication(userId) });
  });

  app.post('/v1/mfa/passkeys/step-up', documented({ tags: ['session'], summary: 'Step up with a passkey: a new session id with a fresh full authentication', security: ['session'], body: assertionBody, responses: responses({}, 400, 401, 503) }), async (request, reply) => {
    const { userId } = requireIdentity(request, ['session']);
    const passkeys = passkeysOrRefuse();
    if (await limit(request, reply)) return reply;
    const body = bodyOf(assertionBody, request, reply);
    if (body === undefined) return reply;
    const verified = await passkeys.finishAuthentication(body.response, userId, 'step_up');
    if (!verified.ok) return sendRefusal(request, reply, PASSKEY_VERIFICATION_FAILED);
    const sessionId = sessionIdOf(request);
    const now = clock.now();
    const rotated = sessionId === undefined ? undefined : await sessions.rotate(sessionId, { privilegeChanged: true, data: { fullyAuthenticatedAt: now } });
    if (rotated?.ok !== true) return sendRefusal(request, reply, SESSION_INVALID);
    const session = rotated.value.session;
    setSessionCookie(request, reply, rotated.value.id, { maxAgeSeconds: Math.max(1, Math.floor((session.absoluteExpiresAt - now) / 1000)) });
    return sendJson(reply, 200, { status: 'stepped_up', fullyAuthenticatedAt: new Date(now).toISOString() });
  });
}
