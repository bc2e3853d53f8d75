import { MINUTE, positive, type Detector } from '../detector.js';
import { countSourceFailure, type SourceOptions } from './source-failures.js';

export interface CredentialStuffingOptions extends SourceOptions {
  /** Distinct accounts failing from one source within the window that raise an alert. Default 20. */
  readonly minAccounts?: number;
  /** Highest mean of attempts per account that is still stuffing (one leaked pair per account). Default 1.5. */
  readonly maxAttemptsPerAccount?: number;
  /** Default 10 minutes. */
  readonly windowMs?: number;
}

/**
 * Credential stuffing: one source failing logins on many distinct accounts, about one attempt each (pairs from a
 * breach list). Protects against account takeover with reused passwords, which no per-account limit sees.
 */
export function credentialStuffingDetector(options: CredentialStuffingOptions = {}): Detector {
  const name = 'credential_stuffing';
  const minAccounts = positive('credentialStuffing.minAccounts', options.minAccounts, 20);
  const maxMean = positive('credentialStuffing.maxAttemptsPerAccount', options.maxAttemptsPerAccount, 1.5, false);
  const windowMs = positive('credentialStuffing.windowMs', options.windowMs, 10 * MINUTE);
  return {
    name,
    types: ['auth.login.failed'],
    async inspect(event, context) {
      const failures = await countSourceFailure(name, event, options, windowMs, context);
      if (failures === undefined || failures.accounts < minAccounts || failures.attemptsPerAccount > maxMean) return undefined;
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
