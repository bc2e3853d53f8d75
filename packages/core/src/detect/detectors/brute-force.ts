import { addressKey } from '../../ratelimit/keys.js';
import { MINUTE, positive, stringAttribute, subjectOf, type Detector } from '../detector.js';

export interface BruteForceOptions {
  /** Failed logins of one account within the window that raise an alert. Default 10. */
  readonly threshold?: number;
  /** Default 15 minutes. */
  readonly windowMs?: number;
  /** Attribute holding the client address. Default `clientIp`. */
  readonly sourceAttribute?: string;
}

/**
 * Brute force on one account: many `auth.login.failed` for one subject. Protects against password guessing that the
 * login throttle slows but does not report, including guessing spread over many addresses (the alert counts them).
 */
export function bruteForceDetector(options: BruteForceOptions = {}): Detector {
  const name = 'brute_force';
  const threshold = positive('bruteForce.threshold', options.threshold, 10);
  const windowMs = positive('bruteForce.windowMs', options.windowMs, 15 * MINUTE);
  const sourceAttribute = options.sourceAttribute ?? 'clientIp';
  return {
    name,
    types: ['auth.login.failed'],
    async inspect(event, { counter }) {
      const account = subjectOf(event);
      if (account === undefined) return undefined;
      const source = stringAttribute(event, sourceAttribute);
      const sources = await counter.addDistinct(`${name}:s:${account}`, source === undefined ? '-' : addressKey(source), windowMs);
      const hits = await counter.hit(`${name}:n:${account}`, windowMs);
      if (hits.count < threshold) return undefined;
      return {
        detector: name,
        key: account,
        keyKind: 'account',
        subject: account,
        severity: 'medium',
        count: hits.count,
        threshold,
        windowMs,
        first: hits.first,
        last: hits.last,
        details: { distinctSources: sources.distinct },
      };
    },
  };
}
