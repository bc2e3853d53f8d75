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
 *
 * OAuth clients are principals with credentials too: many `oauth.client.authentication_failed` for one `clientId`
 * (a guessed client secret or forged assertions, RFC 6749 §10.10) alert the same way, keyed by the client. The server's
 * per-address client-authentication throttle turns one address away; this sees the guessing spread over many.
 */
export function bruteForceDetector(options: BruteForceOptions = {}): Detector {
  const name = 'brute_force';
  const threshold = positive('bruteForce.threshold', options.threshold, 10);
  const windowMs = positive('bruteForce.windowMs', options.windowMs, 15 * MINUTE);
  const sourceAttribute = options.sourceAttribute ?? 'clientIp';
  return {
    name,
    types: ['auth.login.failed', 'oauth.client.authentication_failed'],
    async inspect(event, { counter }) {
      const client = event.type === 'oauth.client.authentication_failed';
      // A client's failures carry no subject (a client is no account); its id is the key, counted apart from accounts.
      const key = client ? stringAttribute(event, 'clientId') : subjectOf(event);
      if (key === undefined) return undefined;
      const prefix = client ? `${name}:client` : name;
      const source = stringAttribute(event, sourceAttribute);
      const sources = await counter.addDistinct(`${prefix}:s:${key}`, source === undefined ? '-' : addressKey(source), windowMs);
      const hits = await counter.hit(`${prefix}:n:${key}`, windowMs);
      if (hits.count < threshold) return undefined;
      return {
        detector: name,
        key,
        keyKind: client ? 'client' : 'account',
        ...(client ? {} : { subject: key }),
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
