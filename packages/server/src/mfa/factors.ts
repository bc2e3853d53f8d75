import type { Clock, SecurityEventSink } from '@rampart/core';
import type { BackupCodes } from '@rampart/core/mfa';
import { gcra, type RateLimitStore, type RatePolicy } from '@rampart/core/ratelimit';
import type { CodeRefusal, EnrolledFactors, SecondFactors } from '../auth/contracts.js';
import type { MfaEvents } from './events.js';
import type { PasskeyRegistry } from './passkey-registry.js';
import type { TotpFactor } from './totp.js';

/** What {@link createSecondFactors} is built from. */
export interface SecondFactorsDeps {
  readonly totp: TotpFactor;
  readonly backupCodes: BackupCodes;
  /** The registered passkeys (counted even when the public URL cannot run ceremonies). */
  readonly passkeys: PasskeyRegistry;
  readonly limits: RateLimitStore;
  /** Code verifications per account (TOTP and backup codes together). Default 10 per 15 minutes. */
  readonly perAccount?: RatePolicy;
  readonly events: MfaEvents;
  readonly sink: SecurityEventSink;
  readonly clock: Clock;
}

type Verified<T> = ({ readonly ok: true } & T) | { readonly ok: false; readonly reason: CodeRefusal };

/**
 * The accounts' second factors for the login flow and step-up: which are enrolled, and one-time code verification
 * (TOTP replay-proof, backup codes spent atomically).
 *
 * Protects against online guessing of codes: a 6-digit TOTP with a ±1 step window is guessed with probability 3/10⁶
 * per try, so verifications are counted per account (default 10 per 15 minutes, across every pending login and
 * step-up of the account, whatever client sends them); beyond that every code is refused without being checked and a
 * `ratelimit.exceeded` event is emitted. The refusal is `invalid`, the one answer a wrong code gets, so the limit
 * tells an attacker nothing about the codes he tried.
 */
export function createSecondFactors(deps: SecondFactorsDeps): SecondFactors {
  const perAccount = deps.perAccount ?? gcra(10, 900);

  /** `true` when the account is over its verification budget (and the event is out). */
  async function throttled(userId: string, factor: 'totp' | 'backup_code'): Promise<boolean> {
    const decision = await deps.limits.consume(`mfa:verify:${userId}`, 1, perAccount);
    if (decision.allowed) return false;
    try {
      deps.sink({ type: 'ratelimit.exceeded', at: new Date(deps.clock.now()), subject: userId, attributes: { limiter: 'mfa.verify', factor } });
    } catch {
      // A sink must not throw; the refusal stands either way.
    }
    return true;
  }

  return {
    async enrolled(userId: string): Promise<EnrolledFactors> {
      const [totp, backupCodes, passkeys] = await Promise.all([
        deps.totp.status(userId),
        deps.backupCodes.remaining(userId),
        deps.passkeys.count(userId),
      ]);
      // Disabled passkeys still count: an account that enrolled a strong factor keeps requiring a second one after a
      // clone was detected (it recovers with TOTP or a backup code), rather than falling back to the password alone.
      return { totp: totp.enrolled, backupCodes, passkeys: passkeys.total };
    },

    async verifyTotp(userId: string, code: string): Promise<Verified<object>> {
      if (await throttled(userId, 'totp')) return { ok: false, reason: 'invalid' };
      return deps.totp.verify(userId, code);
    },

    async verifyBackupCode(userId: string, code: string): Promise<Verified<{ readonly remaining: number }>> {
      if (await throttled(userId, 'backup_code')) return { ok: false, reason: 'invalid' };
      if ((await deps.backupCodes.remaining(userId)) === 0) {
        deps.events('mfa.backup_code.failed', userId, { reason: 'not_enrolled' });
        return { ok: false, reason: 'not_enrolled' };
      }
      const result = await deps.backupCodes.consume(userId, code);
      if (result.ok) return { ok: true, remaining: result.value.remaining };
      deps.events('mfa.backup_code.failed', userId, { reason: result.reason });
      return { ok: false, reason: 'invalid' };
    },
  };
}
