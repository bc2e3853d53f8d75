import type { SecurityEvent } from '../../events.js';
import { MINUTE, positive, stringAttribute, subjectOf, type Detector } from '../detector.js';

export interface RefreshReuseOptions {
  /** Repeated reuse of one family within this time is the same incident: one alert. Default 10 minutes. */
  readonly dedupeMs?: number;
}

/** What a reuse is counted under: Rampart's refresh family, an OAuth grant (the tokens of one consent), else the account. */
function reusedFamily(event: SecurityEvent): { readonly kind: 'family' | 'grant' | 'account'; readonly key: string } | undefined {
  const family = stringAttribute(event, 'familyId');
  if (family !== undefined) return { kind: 'family', key: family };
  const grant = stringAttribute(event, 'grantId');
  if (grant !== undefined) return { kind: 'grant', key: grant };
  const account = subjectOf(event);
  return account === undefined ? undefined : { kind: 'account', key: account };
}

/**
 * Refresh-token and authorization-code reuse: a rotated refresh token or a spent code presented again means it was
 * copied (RFC 9700 §4.14.2, §4.1.2), so every `token.refresh.reuse_detected`, `oauth.refresh.reused` and
 * `oauth.code.reused` alerts at once. Protects against a stolen refresh token or intercepted code going unnoticed after
 * its family (the OAuth grant) has been revoked.
 */
export function refreshReuseDetector(options: RefreshReuseOptions = {}): Detector {
  const name = 'refresh_token_reuse';
  const dedupeMs = positive('refreshTokenReuse.dedupeMs', options.dedupeMs, 10 * MINUTE);
  return {
    name,
    types: ['token.refresh.reuse_detected', 'oauth.refresh.reused', 'oauth.code.reused'],
    async inspect(event, { counter }) {
      const reused = reusedFamily(event);
      if (reused === undefined) return undefined;
      // Families, grants and accounts are counted (and their alerts de-duplicated) apart: one id cannot silence another's alert.
      const hits = await counter.hit(`${name}:n:${reused.kind.charAt(0)}:${reused.key}`, dedupeMs);
      const subject = subjectOf(event);
      const oauth = event.type !== 'token.refresh.reuse_detected';
      const clientId = oauth ? stringAttribute(event, 'clientId') : undefined;
      return {
        detector: name,
        key: reused.key,
        keyKind: reused.kind,
        severity: 'high',
        count: hits.count,
        threshold: 1,
        windowMs: dedupeMs,
        first: hits.first,
        last: hits.last,
        ...(subject === undefined ? {} : { subject }),
        ...(oauth ? { details: { eventType: event.type, ...(clientId === undefined ? {} : { clientId }) } } : {}),
      };
    },
  };
}
