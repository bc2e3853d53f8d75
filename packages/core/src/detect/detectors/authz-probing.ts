import { MINUTE, positive, stringAttribute, subjectOf, type Detector } from '../detector.js';

export interface AuthzProbingOptions {
  /** Denials of one principal within the window that raise an alert. Default 20. */
  readonly threshold?: number;
  /** Default 5 minutes. */
  readonly windowMs?: number;
}

/**
 * Bursts of authorization denials by one principal: walking object ids to find one the checks forget (BOLA, OWASP
 * API1:2023) or trying actions above the principal's role. Protects against such probing going unseen while every
 * single request is correctly denied. Anonymous denials (no subject) are left to rate limits.
 */
export function authzProbingDetector(options: AuthzProbingOptions = {}): Detector {
  const name = 'authz_probing';
  const threshold = positive('authzProbing.threshold', options.threshold, 20);
  const windowMs = positive('authzProbing.windowMs', options.windowMs, 5 * MINUTE);
  return {
    name,
    types: ['authz.denied'],
    async inspect(event, { counter }) {
      const principal = subjectOf(event);
      if (principal === undefined) return undefined;
      const kind = stringAttribute(event, 'kind') ?? '-';
      const resource = `${kind}/${stringAttribute(event, 'resourceId') ?? '-'}`;
      const resources = await counter.addDistinct(`${name}:s:${principal}`, resource, windowMs);
      const hits = await counter.hit(`${name}:n:${principal}`, windowMs);
      if (hits.count < threshold) return undefined;
      return {
        detector: name,
        key: principal,
        keyKind: 'principal',
        subject: principal,
        severity: 'medium',
        count: hits.count,
        threshold,
        windowMs,
        first: hits.first,
        last: hits.last,
        details: { distinctResources: resources.distinct },
      };
    },
  };
}
