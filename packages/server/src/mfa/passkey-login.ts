import type { Clock } from '@rampart/core';
import { compile, Type } from '@rampart/core/validate';
import { ProblemError } from '@rampart/fastify';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { LoginFacts, LoginFlow } from '../auth/contracts.js';
import type { RampartDatabase } from '../db/schema.js';
import { bodyOf, sendJson, sendRefusal } from './http.js';
import type { MfaEvents } from './events.js';
import type { ClientLimit } from './limits.js';
import { passkeyMethod, type Passkeys } from './passkeys.js';
import { DELIVERY_WITH_LOGIN_TOKEN, LOGIN_TOKEN_INVALID, PASSKEY_VERIFICATION_FAILED, PASSKEYS_UNAVAILABLE } from './problems.js';
import { AuthenticationCredential } from './webauthn-json.js';
import { documented, responses } from '../openapi/schemas.js';

/** What the passkey login routes need. */
export interface PasskeyLoginDeps {
  readonly db: Kysely<RampartDatabase>;
  readonly clock: Clock;
  readonly passkeys: Passkeys | undefined;
  readonly flow: LoginFlow;
  readonly limit: ClientLimit;
  readonly events: MfaEvents;
}

// The login token is the login module's 256-bit base64url token; bounded here, checked by the flow.
const LOGIN_TOKEN = Type.String({ minLength: 16, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' });
const optionsBody = compile(Type.Object({ loginToken: Type.Optional(LOGIN_TOKEN) }));
const finishBody = compile(
  Type.Object({
    response: AuthenticationCredential,
    loginToken: Type.Optional(LOGIN_TOKEN),
    delivery: Type.Optional(Type.Union([Type.Literal('session'), Type.Literal('tokens')])),
  }),
);

/**
 * Registers `POST /v1/login/passkey/options` and `POST /v1/login/passkey`: a passkey as the second factor of a pending
 * password login (`loginToken`), or as the whole login (no `loginToken`: a discoverable credential with user
 * verification, the credential naming the account). The login flow alone issues the session or the tokens.
 *
 * Protects against: an assertion completing someone else's pending login (the ceremony is started for the pending
 * login's user and the credential must be one of theirs); guessing against a pending login (each call counts an
 * attempt on the login token, which the flow bounds); cloned authenticators (a counter regression refuses and disables
 * the credential); phishing (origin and RP id checked by core); a locked account signing in with a passkey; scripted
 * use (per-client-address rate limit, `429 mfa.rate_limited`).
 */
export function registerPasskeyLoginRoutes(app: FastifyInstance, deps: PasskeyLoginDeps): void {
  const { db, clock, flow, limit, events } = deps;
  const passkeysOrRefuse = (): Passkeys => {
    if (deps.passkeys === undefined) throw new ProblemError(PASSKEYS_UNAVAILABLE);
    return deps.passkeys;
  };

  /** Whether the account may sign in at all (exists, not locked): a passkey does not outlive an account lock. */
  async function mayLogIn(userId: string): Promise<boolean> {
    const row = await db.selectFrom('rampart_users').select('locked_at').where('id', '=', userId).executeTakeFirst();
    return row !== undefined && row.locked_at === null;
  }

  app.post('/v1/login/passkey/options', documented({ tags: ['login'], summary: 'Passkey sign-in options: for a pending login (loginToken) or a usernameless sign-in', body: optionsBody, responses: responses({}, 400, 401, 429, 503) }), async (request, reply) => {
    const passkeys = passkeysOrRefuse();
    if (await limit(request, reply)) return reply;
    const body = bodyOf(optionsBody, request, reply);
    if (body === undefined) return reply;
    if (body.loginToken === undefined) return sendJson(reply, 200, { options: await passkeys.startAuthentication() });
    const pending = await flow.attempt(body.loginToken);
    if (pending === undefined) return sendRefusal(request, reply, LOGIN_TOKEN_INVALID);
    return sendJson(reply, 200, { options: await passkeys.startAuthentication(pending.userId) });
  });

  app.post('/v1/login/passkey', documented({ tags: ['login'], summary: 'Sign in with a passkey assertion (second factor, or alone with user verification)', body: finishBody, responses: responses({}, 400, 401, 429, 503) }), async (request, reply) => {
    const passkeys = passkeysOrRefuse();
    if (await limit(request, reply)) return reply;
    const body = bodyOf(finishBody, request, reply);
    if (body === undefined) return reply;

    if (body.loginToken !== undefined) {
      if (body.delivery !== undefined) return sendRefusal(request, reply, DELIVERY_WITH_LOGIN_TOKEN);
      const pending = await flow.attempt(body.loginToken);
      if (pending === undefined) return sendRefusal(request, reply, LOGIN_TOKEN_INVALID);
      const verified = await passkeys.finishAuthentication(body.response, pending.userId, 'second_factor');
      if (!verified.ok) return sendRefusal(request, reply, PASSKEY_VERIFICATION_FAILED);
      return flow.completeSecondFactor(request, reply, body.loginToken, passkeyMethod(verified.value));
    }

    // Passkey-only: the usernameless ceremony requires user verification (core refuses an assertion without UV), so the
    // one credential proves possession and a PIN or biometric: two factors.
    const verified = await passkeys.finishAuthentication(body.response, undefined, 'passwordless');
    if (!verified.ok) return sendRefusal(request, reply, PASSKEY_VERIFICATION_FAILED);
    const { userId, userVerified } = verified.value;
    // Core already refuses an assertion without UV here (userVerification 'required'); checked again because the amr
    // below claims it.
    if (!userVerified || !(await mayLogIn(userId))) {
      events('mfa.webauthn.failed', userId, { ceremony: 'passwordless', reason: userVerified ? 'account_locked' : 'user_not_verified' });
      return sendRefusal(request, reply, PASSKEY_VERIFICATION_FAILED);
    }
    const now = clock.now();
    const facts: LoginFacts = { userId, amr: [passkeyMethod(verified.value), 'user', 'mfa'], authTime: now, fullyAuthenticatedAt: now };
    return flow.completeWithoutPassword(request, reply, facts, body.delivery ?? 'session');
  });
}
