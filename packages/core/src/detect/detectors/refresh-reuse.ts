import { MINUTE, positive, stringAttribute, subjectOf, type Detector } from '../detector.js';

export interface RefreshReuseOptions {
  /** Repeated reuse of one family within this time is the same incident: one alert. Default 10 minutes. */
  readonly dedupeMs?: number;
}

/**
 * Refresh-token reuse: a rotated refresh token presented again means it was copied (RFC 9700 §4.14.2), so every
 * `token.refresh.reuse_detected` alerts at once. Protects against a stolen refresh token going unnoticed after the
 * family has been revoked.
 */
export function refreshReuseDetector(options: RefreshReuseOptions = {}): Detector {
  const name = 'refresh_token_reuse';
  const dedupeMs = positive('refreshTokenReuse.dedupeMs', options.dedupeMs, 10 * MINUTE);
  return {
    name,
    types: ['token.refresh.reuse_detected'],
    async inspect(event, { counter }) {
      const subject = subjectOf(event);
      const family = stringAttribute(event, 'familyId');
      const key = family ?? subject;
      if (key === undefined) return undefined;
      const hits = await counter.hit(`${name}:n:${family === undefined ? 'a' : 'f'}:${key}`, dedupeMs);
      return {
        detector: name,
        key,
        keyKind: family === undefined ? 'account' : 'family',
        severity: 'high',
        count: hits.count,
        threshold: 1,
        windowMs: dedupeMs,
        first: hits.first,
        last: hits.last,
        ...(subject === undefined ? {} : { subject }),
      };
    },
  };
}
