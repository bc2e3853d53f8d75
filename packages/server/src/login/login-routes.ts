import type { Clock } from '@rampart/core';
import type { PasswordHasher } from '@rampart/core/password';
import { compile, Type } from '@rampart/core/validate';
import { ProblemError } from '@rampart/fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { normalizeEmail } from '../accounts/index.js';
import { requiresSecondFactor, type EnrolledFactors, type LoginDelivery, type LoginFacts, type SecondFactors } from '../auth/contracts.js';
import type { RampartDatabase } from '../db/schema.js';
import type { LoginEvents } from './events.js';
import type { CompletingLoginFlow } from './flow.js';
import { bodyOf, clientIp, sendJson } from './http.js';
import { admitAttempt, type LoginThrottles } from './limits.js';
import { LOGIN_TOKEN_PATTERN } from './login-token.js';
import { shedWhileHasherFull, verifyPassword } from './password.js';
import { PENDING_LOGIN_TTL_MS, type PendingLogins } from './pending-logins.js';
import { EMAIL_UNVERIFIED, INVALID_CREDENTIALS, LOGIN_TOKEN_INVALID, SECOND_FACTOR_INVALID } from './problems.js';
import { credentialsByEmail, storeRehash } from './users.js';
import { documented, responses } from '../openapi/schemas.js';

/** What the login routes are built from. */
export interface LoginRouteDeps {
  readonly db: Kysely<RampartDatabase>;
  readonly hasher: PasswordHasher;
  readonly factors: SecondFactors;
  readonly flow: CompletingLoginFlow;
  readonly pending: PendingLogins;
  readonly throttles: LoginThrottles;
  readonly clock: Clock;
  readonly events: LoginEvents;
}

/** The methods a client may offer for the second step, from what the account has enrolled. */
export type SecondFactorMethod = 'totp' | 'backup_code' | 'passkey';

/** The second-factor methods an enrolled set offers, in the order a client should propose them. */
export function methodsOf(enrolled: EnrolledFactors): SecondFactorMethod[] {
  const methods: SecondFactorMethod[] = [];
  if (enrolled.passkeys > 0) methods.push('passkey');
  if (enrolled.totp) methods.push('totp');
  if (enrolled.backupCodes > 0) methods.push('backup_code');
  return methods;
}

export const EMAIL = Type.String({ format: 'email', maxLength: 254 });
// The hasher's own bound is 1024 UTF-8 bytes; 1024 UTF-16 units bounds the string before anything is computed.
export const PASSWORD = Type.String({ minLength: 1, maxLength: 1024 });
export const CODE_METHOD = Type.Union([Type.Literal('totp'), Type.Literal('backup_code')]);
// TOTP codes are 6–8 digits, backup codes `xxxxx-xxxxx`; core normalizes spaces and dashes, so allow a little slack.
export const CODE = Type.String({ minLength: 1, maxLength: 32 });

const loginBody = compile(
  Type.Object({ email: EMAIL, password: PASSWORD, delivery: Type.Optional(Type.Union([Type.Literal('session'), Type.Literal('tokens')])) }),
);
const secondFactorBody = compile(Type.Object({ loginToken: Type.String({ pattern: LOGIN_TOKEN_PATTERN }), method: CODE_METHOD, code: CODE }));

/** What the password step concluded (its refusals are thrown as problems). */
export type PasswordStepOutcome =
  /** No second factor is enrolled: the login is complete, deliver `facts`. */
  | { readonly kind: 'complete'; readonly facts: LoginFacts }
  /** A second factor is required: the pending login's token (the only copy), the methods to offer, its lifetime. */
  | { readonly kind: 'mfa_required'; readonly loginToken: string; readonly methods: readonly SecondFactorMethod[]; readonly expiresInMs: number };

/**
 * The password step of a login, shared by `POST /v1/login` and the sign-in page: throttle, one Argon2id verify on
 * every path, rehash, verified-address check, then either the completed facts or a pending login. Refusals are thrown
 * as {@link ProblemError}s: `auth.throttled`, `auth.invalid_credentials` (unknown address, wrong password and locked
 * account alike), `auth.email_unverified` (after the right password only), `password.hasher_busy`.
 *
 * Protects against password guessing and spraying, account enumeration, hashing floods and outdated hashes (see
 * {@link registerLoginRoutes}).
 */
export async function passwordStep(deps: LoginRouteDeps, request: FastifyRequest, input: { readonly email: string; readonly password: string; readonly delivery: LoginDelivery }): Promise<PasswordStepOutcome> {
  const { db, hasher, factors, pending, throttles, clock, events } = deps;
  const email = normalizeEmail(input.email);
  const ip = clientIp(request);
  await admitAttempt(throttles.password, email, ip);
  const account = await credentialsByEmail(db, email);
  // One verify on every path: the stored hash, or core's dummy hash for an unknown address.
  const verdict = await verifyPassword(hasher, account?.passwordHash, input.password);
  if (account === undefined || !verdict.ok || account.locked) {
    const reason = verdict.ok ? 'locked' : verdict.reason;
    events('auth.login.failed', account?.id ?? throttles.password.accountId(email), { stage: 'password', reason, clientIp: ip });
    throw new ProblemError(INVALID_CREDENTIALS);
  }
  const at = clock.now();
  if (verdict.value.rehash !== undefined) await storeRehash(db, account.id, account.passwordHash, verdict.value.rehash, new Date(at).toISOString());
  await throttles.password.recordSuccess(email, ip);
  // After the right password only: it proves the caller owns the account, so the answer tells a stranger nothing.
  if (!account.emailVerified) {
    events('auth.login.failed', account.id, { stage: 'password', reason: 'email_unverified', clientIp: ip });
    throw new ProblemError(EMAIL_UNVERIFIED);
  }
  const enrolled = await factors.enrolled(account.id);
  if (requiresSecondFactor(enrolled)) {
    const loginToken = await pending.create({ userId: account.id, amr: ['pwd'], authTime: at, delivery: input.delivery });
    return { kind: 'mfa_required', loginToken, methods: methodsOf(enrolled), expiresInMs: PENDING_LOGIN_TTL_MS };
  }
  return { kind: 'complete', facts: { userId: account.id, amr: ['pwd'], authTime: at, fullyAuthenticatedAt: at } };
}

/**
 * The code step of a login, shared by `POST /v1/login/second-factor` and the second-factor page: one attempt counted
 * against the pending login, the account's second-factor throttle, the code verified (and spent) by the MFA module,
 * the pending login spent. Returns what the completed login proved; refusals are thrown as {@link ProblemError}s
 * (`auth.login_token_invalid`, `auth.throttled`, `auth.second_factor_invalid`).
 *
 * Protects against second-factor guessing (five attempts per pending login, a per-account throttle across all of
 * them), replayed codes, and a pending login completing twice.
 */
export async function secondFactorStep(
  deps: LoginRouteDeps,
  request: FastifyRequest,
  input: { readonly loginToken: string; readonly method: 'totp' | 'backup_code'; readonly code: string },
): Promise<{ readonly facts: LoginFacts; readonly delivery: LoginDelivery }> {
  const { factors, flow, throttles, events } = deps;
  const ip = clientIp(request);
  const login = await flow.attempt(input.loginToken);
  if (login === undefined) {
    events('auth.login.failed', undefined, { stage: 'second_factor', reason: 'login_token_invalid', clientIp: ip });
    throw new ProblemError(LOGIN_TOKEN_INVALID);
  }
  // Per account, across every pending login of it: a password holder cannot multiply guesses by logging in again.
  await admitAttempt(throttles.secondFactor, login.userId, ip);
  const verdict = input.method === 'totp' ? await factors.verifyTotp(login.userId, input.code) : await factors.verifyBackupCode(login.userId, input.code);
  if (!verdict.ok) {
    events('auth.login.failed', login.userId, { stage: 'second_factor', method: input.method, reason: verdict.reason, clientIp: ip });
    throw new ProblemError(SECOND_FACTOR_INVALID);
  }
  await throttles.secondFactor.recordSuccess(login.userId, ip);
  return flow.spendSecondFactor(input.loginToken, input.method === 'totp' ? 'otp' : 'kba');
}

/**
 * `POST /v1/login` and `POST /v1/login/second-factor`.
 *
 * Protects against: password guessing and spraying (core's login throttle per account and per address, counted
 * before any lookup); account enumeration (unknown address, wrong password and locked account get one byte-identical
 * 401 after one Argon2id verify each — core's dummy-hash verify for unknown addresses); hashing floods (the bulkhead's
 * 503); outdated hashes (rehashed on login); skipping the second factor (no session or token before it verified);
 * second-factor guessing (five attempts per pending login, a per-account throttle across all of them); replayed codes
 * (core's TOTP replay store and single-use backup codes, through the MFA module).
 */
export function registerLoginRoutes(app: FastifyInstance, deps: LoginRouteDeps): void {
  const { flow } = deps;

  // Logins the full bulkhead would refuse anyway are refused before their body is read (see shedWhileHasherFull).
  const shed = shedWhileHasherFull(deps.hasher, (queued) => {
    deps.events('password.hasher_busy', undefined, { shed: true, queued });
  }, () => deps.clock.now());
  app.post('/v1/login', { onRequest: shed, ...documented({ tags: ['login'], summary: 'Sign in with e-mail and password: a session cookie, tokens, or mfa_required with a login token', description: 'Unknown address, wrong password and locked account get one answer (auth.invalid_credentials) after the same work. Throttled per account and per client.', body: loginBody, responses: responses({}, 400, 401, 403, 429, 503) }) }, async (request, reply) => {
    const body = bodyOf(loginBody, request, reply);
    if (body === undefined) return reply;
    const delivery: LoginDelivery = body.delivery ?? 'session';
    const outcome = await passwordStep(deps, request, { email: body.email, password: body.password, delivery });
    if (outcome.kind === 'mfa_required') {
      return sendJson(reply, 200, { status: 'mfa_required', loginToken: outcome.loginToken, methods: outcome.methods, expiresIn: outcome.expiresInMs / 1000 });
    }
    await flow.deliver(request, reply, outcome.facts, delivery);
    return reply;
  });

  app.post('/v1/login/second-factor', documented({ tags: ['login'], summary: 'Finish a pending login with a TOTP or backup code', body: secondFactorBody, responses: responses({}, 400, 401, 429) }), async (request, reply) => {
    const body = bodyOf(secondFactorBody, request, reply);
    if (body === undefined) return reply;
    const { facts, delivery } = await secondFactorStep(deps, request, body);
    await flow.deliver(request, reply, facts, delivery);
    return reply;
  });
}
