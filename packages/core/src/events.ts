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
  /** An access token and a refresh-token family minted for a completed login (ids only, never the tokens). */
  | 'token.issued'
  /** A bearer access token refused (forged, expired, wrong issuer/audience/type, its account locked): the reason only. */
  | 'token.access.refused'
  | 'token.apikey.created'
  | 'token.apikey.revoked'
  /** A presented API key was refused (malformed, bad checksum, unknown, mismatch, expired, revoked, locked account). */
  | 'token.apikey.refused'
  | 'token.signing_key.rotated'
  | 'token.signing_key.retired'
  /** A key of a remote JWKS is not used (weak RSA, encryption key, private members, …): the kid and the reason only. */
  | 'token.jwks.key_ignored'
  | 'mfa.totp.replay'
  | 'mfa.backup_code.used'
  | 'mfa.backup_codes.regenerated'
  | 'mfa.webauthn.registered'
  | 'mfa.webauthn.counter_regression'
  /** A TOTP secret was confirmed with a first code: the factor now counts as enrolled. */
  | 'mfa.totp.enrolled'
  | 'mfa.totp.removed'
  /** A wrong or malformed TOTP code (a replayed one is `mfa.totp.replay`). */
  | 'mfa.totp.failed'
  /** A backup code that matched nothing (wrong, already used, or another account's). */
  | 'mfa.backup_code.failed'
  | 'mfa.webauthn.removed'
  /** A WebAuthn ceremony refused (registration or assertion): the reason, never the response. */
  | 'mfa.webauthn.failed'
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
  /** An administrator stored and activated a policy version, or rolled back to an earlier one. */
  | 'authz.policy.activated'
  /** A role was bound to an account (in a tenant, or globally). */
  | 'authz.role.granted'
  /** A role binding was removed from an account. */
  | 'authz.role.revoked'
  /**
   * OAuth 2.1 / OpenID Connect authorization server. Ids, grant types, scopes and error codes only: never a token,
   * code, client secret, assertion, DPoP proof or certificate.
   *
   * Tokens issued at the token endpoint: grant type, client, resource (audience), scopes, binding (`dpop`, `mtls`,
   * `bearer`), grant id. The subject is the account, when a user authorized the grant.
   */
  | 'oauth.token.issued'
  /** A token the client revoked itself (RFC 7009): which kind, its client and grant. */
  | 'oauth.token.revoked'
  /** An endpoint refused a request (`invalid_grant`, `invalid_token`, `access_denied`, …): the endpoint and error code. */
  | 'oauth.request.refused'
  /** A spent authorization code presented again (RFC 9700 §4.1.2 / RFC 6749 §4.1.2): its grant is revoked. */
  | 'oauth.code.reused'
  /** A rotated refresh token presented again (RFC 9700 §4.14.2): its grant is revoked. */
  | 'oauth.refresh.reused'
  /**
   * A grant's tokens ended: `reason` `reuse`, `revocation` (the client revoked a refresh token), `logout` (the consent
   * is kept), `consent_withdrawn`. A client's deletion or secret rotation ends its grants in bulk and says so once, in
   * its own event.
   */
  | 'oauth.grant.revoked'
  /** A client failed to authenticate at a back-channel endpoint: client id (when it exists), endpoint, method, address. */
  | 'oauth.client.authentication_failed'
  /** An account let a client have scopes (the consent page, or a first-party client): client, grant, scopes. */
  | 'oauth.consent.granted'
  /** An account refused a client's request on the consent page. */
  | 'oauth.consent.denied'
  /** An account withdrew its consent to a client ("Connected apps"): every grant and token of that client for it ended. */
  | 'oauth.consent.revoked'
  /** An OAuth client was registered: who registered it and its settings (redirect URIs, grants, scopes, keys by count). */
  | 'oauth.client.created'
  /** An OAuth client's settings changed: which fields, and their new values. */
  | 'oauth.client.updated'
  /** An OAuth client's secret was replaced (never the secret), and how many issued artifacts were revoked with it. */
  | 'oauth.client.secret_rotated'
  /** An OAuth client was deleted with every code, token and grant issued to it. */
  | 'oauth.client.deleted'
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
  | 'account.password_reset'
  /** A signed-in user changed their password (with the current one and a recent step-up). */
  | 'account.password_changed'
  /** A signed-in user changed their own profile (the names of the changed fields, never their values). */
  | 'account.profile_updated'
  /** An administrator account was created (first start of an empty database, or `rampart admin create`). */
  | 'account.created'
  /** An administrator locked an account: it cannot sign in, and its sessions, refresh tokens and API keys ended. */
  | 'account.disabled'
  /** An administrator unlocked an account. */
  | 'account.enabled'
  /** An administrator ended an account's sessions and refresh tokens, or revoked one of its API keys. */
  | 'account.credentials_revoked'
  /** An administrator read account data (a list of accounts, one profile, its sessions or API keys). */
  | 'admin.accessed'
  /** Someone read the audit trail (entries, signed heads, proofs): PCI DSS 10.2.1.3 access to audit logs. */
  | 'audit.accessed'
  /** A verification of the audit trail passed. */
  | 'audit.verified'
  /** A verification of the audit trail found tampering (the position and the problem, never entry contents). */
  | 'audit.verify_failed';

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
