import { ConfigurationError } from '../../errors.js';
import { HOUR, positive, type Detector } from '../detector.js';
import { countSourceFailure, type SourceOptions } from './source-failures.js';

export interface PasswordSprayingOptions extends SourceOptions {
  /** Distinct accounts failing from one source within the window that raise an alert. Default 10. */
  readonly minAccounts?: number;
  /** The mean of attempts per account must be above this (at or below it is stuffing). Default 1.5. */
  readonly minAttemptsPerAccount?: number;
  /** …and at most this (above it the attacker is guessing hard at each account: brute force). Default 5. */
  readonly maxAttemptsPerAccount?: number;
  /** Spraying is slow, to stay under lockouts: a long window. Default 1 hour. */
  readonly windowMs?: number;
}

/**
 * Password spraying: one source trying a few common passwords against many accounts, a few attempts each, slowly
 * enough to stay under every per-account lockout. Protects against the takeover of accounts with weak passwords,
 * which per-account limits are built not to see.
 */
export function passwordSprayingDetector(options: PasswordSprayingOptions = {}): Detector {
  const name = 'password_spraying';
  const minAccounts = positive('passwordSpraying.minAccounts', options.minAccounts, 10);
  const minMean = positive('passwordSpraying.minAttemptsPerAccount', options.minAttemptsPerAccount, 1.5, false);
  const maxMean = positive('passwordSpraying.maxAttemptsPerAccount', options.maxAttemptsPerAccount, 5, false);
  if (maxMean <= minMean) throw new ConfigurationError('passwordSpraying.maxAttemptsPerAccount must exceed minAttemptsPerAccount');
  const windowMs = positive('passwordSpraying.windowMs', options.windowMs, HOUR);
  return {
    name,
    types: ['auth.login.failed'],
    async inspect(event, context) {
      const failures = await countSourceFailure(name, event, options, windowMs, context);
      if (failures === undefined || failures.accounts < minAccounts) return undefined;
      if (failures.attemptsPerAccount <= minMean || failures.attemptsPerAccount > maxMean) return undefined;
      return {
        detector: name,
        key: failures.source,
        keyKind: 'source',
        severity: 'high',
        count: failures.accounts,
        threshold: minAccounts,
        windowMs,
        first: failures.first,
        last: failures.last,
        details: { attempts: failures.attempts, distinctAccounts: failures.accounts, attemptsPerAccount: failures.attemptsPerAccount },
      };
    },
  };
}
