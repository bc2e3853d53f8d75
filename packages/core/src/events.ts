/**
 * Security events: every decision a control makes that an operator or a detector needs to see (principle 7 of the
 * design). Events carry identifiers, never secrets: no passwords, tokens, session ids, codes or key material.
 */
export type SecurityEventType =
  | 'keyring.rotated'
  | 'keyring.retired'
  | 'password.rehashed'
  | 'password.hasher_busy'
  | 'token.refresh.rotated'
  | 'token.refresh.reuse_detected'
  | 'token.refresh.family_revoked'
  | 'token.apikey.created'
  | 'token.apikey.revoked'
  | 'token.signing_key.rotated'
  | 'token.signing_key.retired'
  | 'mfa.totp.replay'
  | 'mfa.backup_code.used'
  | 'mfa.backup_codes.regenerated'
  | 'mfa.webauthn.registered'
  | 'mfa.webauthn.counter_regression'
  | 'session.created'
  | 'session.rotated'
  | 'session.revoked'
  | 'session.evicted'
  | 'session.refused_limit'
  | 'http.guard_failed'
  | 'http.cors.refused'
  | 'http.csrf.refused'
  | 'http.csrf.exempted'
  | 'http.csp.violation'
  | 'http.body.refused'
  | 'http.client_ip.untrusted_forwarding'
  | 'ratelimit.exceeded'
  | 'ratelimit.store_unavailable'
  | 'auth.login.throttled'
  | 'auth.login.locked'
  | 'auth.login.failed'
  | 'auth.login.succeeded'
  | 'authz.allowed'
  | 'authz.denied'
  | 'authz.failed'
  | 'authz.policy.reloaded'
  | 'authz.policy.refused'
  | 'detect.alert'
  | 'config.loosened'
  /** Entries past their retention had their content removed; the entry carries the count and a digest of them. */
  | 'audit.pruned'
  /** Events that never reached the audit log (a full queue, a failed store), counted: a flood can hide an action. */
  | 'audit.events_dropped'
  | 'account.registered'
  /** A registration for an address that already has an account: answered like a new one, the owner is mailed. */
  | 'account.registration_existing'
  | 'account.email_verified'
  /** A verification or reset token that matched nothing, was used already, or expired. */
  | 'account.token_refused'
  | 'account.password_reset_requested'
  /** A reset asked for an address with no account (or a locked one): answered like a known one, nothing mailed. */
  | 'account.password_reset_unknown'
  | 'account.password_reset';

export interface SecurityEvent {
  readonly type: SecurityEventType;
  readonly at: Date;
  /** The account the event is about, when there is one. */
  readonly subject?: string;
  /** Non-secret details: ids, counts, reasons. */
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
}

/** Receives security events. Must not throw; a sink that fails must not turn an allowed request into a denied one. */
export type SecurityEventSink = (event: SecurityEvent) => void;

/** A sink that drops everything; the default where the caller wired none. */
export const discardEvents: SecurityEventSink = () => undefined;

/** Builds an event stamped with the current time. */
export function securityEvent(
  type: SecurityEventType,
  subject?: string,
  attributes?: Readonly<Record<string, string | number | boolean>>,
): SecurityEvent {
  return {
    type,
    at: new Date(),
    ...(subject === undefined ? {} : { subject }),
    ...(attributes === undefined ? {} : { attributes }),
  };
}
