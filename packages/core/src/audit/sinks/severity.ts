import type { SecurityEvent, SecurityEventType } from '../../events.js';

/** RFC 5424 §6.2.1 severities, 0 (emergency) to 7 (debug). */
export type SyslogSeverity = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** Events that mean an attack is likely under way (a stolen refresh token or OAuth code replayed, a cloned authenticator). */
const CRITICAL = new Set<SecurityEventType>(['token.refresh.reuse_detected', 'oauth.code.reused', 'oauth.refresh.reused', 'mfa.webauthn.counter_regression', 'detect.alert']);
const WARNING = /(?:denied|refused|failed|throttled|locked|replay|exceeded|unavailable|busy|loosened|violation|untrusted_forwarding|family_revoked|refused_limit|dropped)$/;

/**
 * Default severity of an event: critical for likely attacks, warning for refusals and failures, notice for state
 * changes, informational for grants. A SIEM routes and alerts on severity, so refusals must not hide among grants.
 */
export function defaultSeverity(event: SecurityEvent): SyslogSeverity {
  if (CRITICAL.has(event.type)) return 2;
  if (WARNING.test(event.type)) return 4;
  if (event.type === 'authz.allowed' || event.type === 'auth.login.succeeded') return 6;
  return 5;
}
