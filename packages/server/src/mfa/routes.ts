import type { Clock } from '@rampart/core';
import { compile, Type } from '@rampart/core/validate';
import { ProblemError } from '@rampart/fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { UNAUTHENTICATED } from '../auth/authenticate.js';
import { requireIdentity, requireStepUp } from '../auth/guards.js';
import type { Identity } from '../auth/identity.js';
import type { RampartDatabase } from '../db/schema.js';
import { bodyOf, sendJson, sendRefusal } from './http.js';
import type { AccountFactors } from './account-factors.js';
import type { Passkeys } from './passkeys.js';
import { CODE_INVALID, PASSKEY_NOT_FOUND, PASSKEY_REGISTRATION_FAILED, PASSKEYS_UNAVAILABLE, TOTP_NOT_ENROLLED, TOTP_NOT_PENDING } from './problems.js';
import type { TotpFactor } from './totp.js';
import { credentialIdParam, PASSKEY_NAME, RegistrationCredential } from './webauthn-json.js';
import { documented, responses } from '../openapi/schemas.js';

/** What the enrollment routes act on. */
export interface EnrollmentRouteDeps {
  readonly db: Kysely<RampartDatabase>;
  readonly clock: Clock;
  readonly totp: TotpFactor;
  /** `undefined` when the public URL cannot run WebAuthn ceremonies (registration then answers 503). */
  readonly passkeys: Passkeys | undefined;
  /** The summary, backup codes, passkey list and removal (shared with the account pages). */
  readonly factors: AccountFactors;
}

// Closed objects: any undeclared member is a 400 (mass assignment), an empty POST is `{}`.
const emptyBody = compile(Type.Object({}));
const confirmBody = compile(Type.Object({ code: Type.String({ minLength: 1, maxLength: 32 }) }));
const registerBody = compile(Type.Object({ response: RegistrationCredential, name: Type.Optional(PASSKEY_NAME) }));

/** The people who may manage factors: a signed-in browser or an access token — never an API key. */
const PERSON = ['session', 'access_token'] as const;

/**
 * Registers the factor routes under `/v1/mfa`: the summary, TOTP enrollment (start, confirm, remove), backup codes,
 * and passkeys (registration options, registration, list, removal).
 *
 * Protects against: a stolen or left-open session adding or removing factors (every change needs a full
 * authentication within 10 minutes, `requireStepUp`, and a person's credential — never an API key); mass assignment
 * (closed schemas); cross-site requests (the CSRF guard runs before these handlers for every browser request); IDOR
 * (a passkey is removed only by its owner, another user's id reads as unknown); secrets cached on the way (every
 * answer `no-store`).
 */
export function registerEnrollmentRoutes(app: FastifyInstance, deps: EnrollmentRouteDeps): void {
  const { db, clock, totp, factors } = deps;
  const stepUp = (request: FastifyRequest): Identity => requireStepUp(request, { clock });

  /** The account's name for authenticator apps and passkey prompts (its address); 401 if the account is gone. */
  async function accountName(userId: string): Promise<string> {
    const row = await db.selectFrom('rampart_users').select('email').where('id', '=', userId).executeTakeFirst();
    if (row === undefined) throw new ProblemError(UNAUTHENTICATED);
    return row.email;
  }

  function passkeysOrRefuse(): Passkeys {
    if (deps.passkeys === undefined) throw new ProblemError(PASSKEYS_UNAVAILABLE);
    return deps.passkeys;
  }

  app.get('/v1/mfa', documented({ tags: ['mfa'], summary: 'The caller\'s factors: authenticator app, backup codes left, passkeys', security: ['session', 'bearer'], responses: responses({}, 401) }), async (request, reply) => {
    const { userId } = requireIdentity(request, PERSON);
    return sendJson(reply, 200, await factors.summary(userId));
  });

  app.post('/v1/mfa/totp', documented({ tags: ['mfa'], summary: 'Start TOTP enrollment: otpauth URI, secret and QR (step-up)', security: ['session', 'bearer'], body: emptyBody, responses: responses({}, 401, 403) }), async (request, reply) => {
    const { userId } = stepUp(request);
    if (bodyOf(emptyBody, request, reply) === undefined) return reply;
    const started = await totp.start(userId, await accountName(userId));
    return sendJson(reply, 200, { otpauthUri: started.uri, secret: started.secret, qrSvg: started.qrSvg, expiresAt: new Date(started.expiresAt).toISOString() });
  });

  app.post('/v1/mfa/totp/confirm', documented({ tags: ['mfa'], summary: 'Confirm TOTP enrollment with a code (step-up)', security: ['session', 'bearer'], body: confirmBody, responses: responses({}, 400, 401, 403, 429) }), async (request, reply) => {
    const { userId } = stepUp(request);
    const body = bodyOf(confirmBody, request, reply);
    if (body === undefined) return reply;
    const confirmed = await totp.confirm(userId, body.code);
    if (!confirmed.ok) return sendRefusal(request, reply, confirmed.reason === 'not_pending' ? TOTP_NOT_PENDING : CODE_INVALID);
    return sendJson(reply, 200, { status: 'enrolled', replaced: confirmed.replaced });
  });

  app.delete('/v1/mfa/totp', documented({ tags: ['mfa'], summary: 'Remove the authenticator app (step-up)', security: ['session', 'bearer'], responses: responses({}, 401, 403, 404) }), async (request, reply) => {
    const { userId } = stepUp(request);
    if (!(await totp.remove(userId))) return sendRefusal(request, reply, TOTP_NOT_ENROLLED);
    return reply.code(204).header('cache-control', 'no-store').send();
  });

  app.post('/v1/mfa/backup-codes', documented({ tags: ['mfa'], summary: 'A new set of backup codes, shown once (step-up)', security: ['session', 'bearer'], body: emptyBody, responses: responses({}, 401, 403) }), async (request, reply) => {
    const { userId } = stepUp(request);
    if (bodyOf(emptyBody, request, reply) === undefined) return reply;
    // Core replaces the whole set in one transaction and reports `mfa.backup_codes.regenerated` (a count, no code).
    const codes = await factors.regenerateBackupCodes(userId);
    return sendJson(reply, 200, { codes, count: codes.length });
  });

  app.post('/v1/mfa/passkeys/options', documented({ tags: ['mfa'], summary: 'Passkey registration options (step-up)', security: ['session', 'bearer'], body: emptyBody, responses: responses({}, 401, 403, 503) }), async (request, reply) => {
    const { userId } = stepUp(request);
    const passkeys = passkeysOrRefuse();
    if (bodyOf(emptyBody, request, reply) === undefined) return reply;
    const options = await passkeys.startRegistration(userId, await accountName(userId));
    return sendJson(reply, 200, { options });
  });

  app.post('/v1/mfa/passkeys', documented({ tags: ['mfa'], summary: 'Register a passkey from the authenticator\'s response (step-up)', security: ['session', 'bearer'], body: registerBody, responses: responses({}, 400, 401, 403, 503) }), async (request, reply) => {
    const { userId } = stepUp(request);
    const passkeys = passkeysOrRefuse();
    const body = bodyOf(registerBody, request, reply);
    if (body === undefined) return reply;
    const registered = await passkeys.finishRegistration(userId, body.response, body.name);
    if (!registered.ok) return sendRefusal(request, reply, PASSKEY_REGISTRATION_FAILED);
    return sendJson(reply, 201, registered.value);
  });

  app.get('/v1/mfa/passkeys', documented({ tags: ['mfa'], summary: 'The caller\'s passkeys (never the public keys)', security: ['session', 'bearer'], responses: responses({}, 401) }), async (request, reply) => {
    const { userId } = requireIdentity(request, PERSON);
    return sendJson(reply, 200, { passkeys: await factors.listPasskeys(userId) });
  });

  app.delete('/v1/mfa/passkeys/:id', documented({ tags: ['mfa'], summary: 'Remove one of the caller\'s passkeys (step-up)', security: ['session', 'bearer'], params: credentialIdParam, responses: responses({}, 401, 403, 404) }), async (request, reply) => {
    const { userId } = stepUp(request);
    const { id } = request.params as { readonly id?: unknown };
    // A malformed id, an unknown one and another user's one get the same answer: no existence oracle.
    if (!(await factors.removePasskey(userId, id))) return sendRefusal(request, reply, PASSKEY_NOT_FOUND);
    return reply.code(204).header('cache-control', 'no-store').send();
  });
}
