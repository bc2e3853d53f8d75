import type { Clock } from '@rampart/core';
import type { PasswordHasher } from '@rampart/core/password';
import { ProblemError } from '@rampart/fastify';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { requiresSecondFactor, type SecondFactors } from '../auth/contracts.js';
import type { AuthMethod } from '../auth/identity.js';
import type { RampartDatabase } from '../db/schema.js';
import type { LoginEvents } from './events.js';
import { combinedAmr } from './flow.js';
import { clientIp } from './http.js';
import { admitAttempt, type LoginThrottles } from './limits.js';
import { verifyPassword } from './password.js';
import { REAUTHENTICATION_FAILED, SECOND_FACTOR_REQUIRED } from './problems.js';
import { credentialsById, storeRehash, type AccountCredentials } from './users.js';

/** What re-authentication is built from. */
export interface ReauthenticationDeps {
  readonly db: Kysely<RampartDatabase>;
  readonly hasher: PasswordHasher;
  readonly factors: SecondFactors;
  readonly throttles: LoginThrottles;
  readonly clock: Clock;
  readonly events: LoginEvents;
}

/** What a signed-in user re-enters. */
export interface ReauthenticationInput {
  readonly password: string;
  readonly method?: 'totp' | 'backup_code';
  readonly code?: string;
}

/** What re-authentication proved. */
export interface Reauthenticated {
  readonly account: AccountCredentials;
  /** `['pwd']`, or `['pwd', 'otp' | 'kba', 'mfa']` when the second factor was checked too. */
  readonly amr: readonly AuthMethod[];
}

/**
 * Re-verifies the password of the signed-in user `userId` — and, when `withSecondFactor` and the account has one, the
 * TOTP or backup code — for a step-up or a password change.
 *
 * Protects against a stolen session (or an unlocked browser) being used to guess the password or the code: attempts
 * are throttled per account (core's login throttle, its own counters), every failure is one 403 and one
 * `auth.login.failed` event (so the brute-force detectors count it like a login failure), and a locked account never
 * re-authenticates.
 */
export async function reauthenticate(
  deps: ReauthenticationDeps,
  request: FastifyRequest,
  userId: string,
  input: ReauthenticationInput,
  options: { readonly stage: 'step_up' | 'password_change'; readonly withSecondFactor: boolean },
): Promise<Reauthenticated> {
  const ip = clientIp(request);
  const fail = (reason: string): ProblemError => {
    deps.events('auth.login.failed', userId, { stage: options.stage, reason, clientIp: ip });
    return new ProblemError(REAUTHENTICATION_FAILED);
  };
  await admitAttempt(deps.throttles.reauthentication, userId, ip);
  const account = await credentialsById(deps.db, userId);
  const verdict = await verifyPassword(deps.hasher, account?.passwordHash, input.password);
  if (account === undefined || !verdict.ok || account.locked) throw fail(verdict.ok ? 'locked' : verdict.reason);
  if (verdict.value.rehash !== undefined) await storeRehash(deps.db, account.id, account.passwordHash, verdict.value.rehash, new Date(deps.clock.now()).toISOString());
  let amr: readonly AuthMethod[] = ['pwd'];
  if (options.withSecondFactor && requiresSecondFactor(await deps.factors.enrolled(userId))) {
    if (input.method === undefined || input.code === undefined) {
      deps.events('auth.login.failed', userId, { stage: options.stage, reason: 'second_factor_missing', clientIp: ip });
      throw new ProblemError(SECOND_FACTOR_REQUIRED);
    }
    const code = input.method === 'totp' ? await deps.factors.verifyTotp(userId, input.code) : await deps.factors.verifyBackupCode(userId, input.code);
    if (!code.ok) throw fail(`second_factor_${code.reason}`);
    amr = combinedAmr(amr, [input.method === 'totp' ? 'otp' : 'kba']);
  }
  await deps.throttles.reauthentication.recordSuccess(userId, ip);
  return { account, amr };
}
