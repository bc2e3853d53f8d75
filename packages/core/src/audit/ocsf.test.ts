import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import type { SecurityEvent, SecurityEventType } from '../events.js';
import { checkpointSigner } from './checkpoint.js';
import { AuditError } from './errors.js';
import { AuditLog, type AuditRecord } from './log.js';
import { OCSF_VERSION, RAMPART_CONTROL_CHANGE_CLASS_UID, toOcsf } from './ocsf.js';
import { MemoryAuditStore } from './store.js';

const signer = checkpointSigner(generateKeyPairSync('ed25519').privateKey);
const EVENT_AT = new Date('2026-03-04T05:06:07.089Z');
const LOGGED_AT = Date.UTC(2026, 0, 1);

/** Every event type, as a record so that a new type is a compile error here too. */
const ALL_TYPES: Record<SecurityEventType, true> = {
  'keyring.rotated': true,
  'keyring.retired': true,
  'password.rehashed': true,
  'password.hasher_busy': true,
  'token.refresh.rotated': true,
  'token.refresh.reuse_detected': true,
  'token.refresh.family_revoked': true,
  'token.issued': true,
  'token.access.refused': true,
  'token.apikey.created': true,
  'token.apikey.revoked': true,
  'token.apikey.refused': true,
  'token.signing_key.rotated': true,
  'token.signing_key.retired': true,
  'token.jwks.key_ignored': true,
  'mfa.totp.replay': true,
  'mfa.backup_code.used': true,
  'mfa.backup_codes.regenerated': true,
  'mfa.webauthn.registered': true,
  'mfa.webauthn.counter_regression': true,
  'mfa.totp.enrolled': true,
  'mfa.totp.removed': true,
  'mfa.totp.failed': true,
  'mfa.backup_code.failed': true,
  'mfa.webauthn.removed': true,
  'mfa.webauthn.failed': true,
  'session.created': true,
  'session.rotated': true,
  'session.revoked': true,
  'session.evicted': true,
  'session.refused_limit': true,
  'http.guard_failed': true,
  'http.cors.refused': true,
  'http.csrf.refused': true,
  'http.csrf.exempted': true,
  'http.csp.violation': true,
  'http.body.refused': true,
  'http.client_ip.untrusted_forwarding': true,
  'ratelimit.exceeded': true,
  'ratelimit.store_unavailable': true,
  'auth.login.throttled': true,
  'auth.login.locked': true,
  'auth.login.failed': true,
  'auth.login.succeeded': true,
  'authz.allowed': true,
  'authz.denied': true,
  'authz.failed': true,
  'authz.policy.reloaded': true,
  'authz.policy.refused': true,
  'authz.policy.activated': true,
  'authz.role.granted': true,
  'authz.role.revoked': true,
  'oauth.token.issued': true,
  'oauth.token.revoked': true,
  'oauth.request.refused': true,
  'oauth.code.reused': true,
  'oauth.refresh.reused': true,
  'oauth.grant.revoked': true,
  'oauth.client.authentication_failed': true,
  'oauth.consent.granted': true,
  'oauth.consent.denied': true,
  'oauth.consent.revoked': true,
  'oauth.client.created': true,
  'oauth.client.updated': true,
  'oauth.client.secret_rotated': true,
  'oauth.client.deleted': true,
  'detect.alert': true,
  'config.loosened': true,
  'audit.pruned': true,
  'audit.events_dropped': true,
  'account.registered': true,
  'account.registration_existing': true,
  'account.email_verified': true,
  'account.token_refused': true,
  'account.password_reset_requested': true,
  'account.password_reset_unknown': true,
  'account.password_reset': true,
  'account.password_changed': true,
  'account.profile_updated': true,
  'account.created': true,
  'account.disabled': true,
  'account.enabled': true,
  'account.credentials_revoked': true,
  'admin.accessed': true,
  'audit.accessed': true,
  'audit.verified': true,
  'audit.verify_failed': true,
};

/** Appends one event to a fresh log and returns its stored record (with its chain hash). */
async function record(event: Omit<SecurityEvent, 'at'>): Promise<AuditRecord> {
  const log = await AuditLog.open({ store: new MemoryAuditStore(), signer, clock: new ManualClock(LOGGED_AT) });
  await log.append({ ...event, at: EVENT_AT });
  const entry = await log.entry(0);
  if (entry === undefined) throw new Error('entry 0 missing');
  return entry;
}

function metadata(entry: AuditRecord): object {
  return {
    version: OCSF_VERSION,
    product: { name: 'Rampart', vendor_name: 'Rampart' },
    uid: '0',
    logged_time: LOGGED_AT,
    log_name: 'rampart.audit',
    log_hash: entry.chainHash,
  };
}

describe('toOcsf', () => {
  it('maps a failed login to Authentication (3002) Logon, Failure', async () => {
    const entry = await record({ type: 'auth.login.failed', subject: 'acct_42', attributes: { clientIp: '203.0.113.7', attempt: 3 } });
    expect(toOcsf(entry)).toStrictEqual({
      class_uid: 3002,
      class_name: 'Authentication',
      category_uid: 3,
      activity_id: 1,
      activity_name: 'Logon',
      type_uid: 300201,
      time: EVENT_AT.getTime(),
      severity_id: 2,
      status_id: 2,
      message: 'auth.login.failed',
      actor: { user: { uid: 'acct_42' } },
      src_endpoint: { ip: '203.0.113.7' },
      metadata: metadata(entry),
      unmapped: { attempt: 3 },
    });
  });

  it('maps a registered WebAuthn authenticator to Account Change (3001) MFA Factor Enable, Success', async () => {
    const entry = await record({ type: 'mfa.webauthn.registered', subject: 'acct_7', attributes: { credentialId: 'cred-1' } });
    expect(toOcsf(entry)).toStrictEqual({
      class_uid: 3001,
      class_name: 'Account Change',
      category_uid: 3,
      activity_id: 10,
      activity_name: 'MFA Factor Enable',
      type_uid: 300110,
      time: EVENT_AT.getTime(),
      severity_id: 1,
      status_id: 1,
      message: 'mfa.webauthn.registered',
      actor: { user: { uid: 'acct_7' } },
      metadata: metadata(entry),
      unmapped: { credentialId: 'cred-1' },
    });
  });

  it('maps a denied authorization to Authorize Session (3003), Failure', async () => {
    const entry = await record({ type: 'authz.denied', subject: 'bob', attributes: { action: 'delete', resource: 'doc:1', status: 403 } });
    expect(toOcsf(entry)).toStrictEqual({
      class_uid: 3003,
      class_name: 'Authorize Session',
      category_uid: 3,
      activity_id: 99,
      activity_name: 'Other',
      type_uid: 300399,
      time: EVENT_AT.getTime(),
      severity_id: 2,
      status_id: 2,
      message: 'authz.denied',
      actor: { user: { uid: 'bob' } },
      metadata: metadata(entry),
      unmapped: { action: 'delete', resource: 'doc:1', status: 403 },
    });
  });

  it('maps an exceeded rate limit to API Activity (6003), Failure, without an actor', async () => {
    const entry = await record({ type: 'ratelimit.exceeded', attributes: { limiter: 'api', clientIp: '2001:db8::1', retryAfterSeconds: 30 } });
    expect(toOcsf(entry)).toStrictEqual({
      class_uid: 6003,
      class_name: 'API Activity',
      category_uid: 6,
      activity_id: 99,
      activity_name: 'Other',
      type_uid: 600399,
      time: EVENT_AT.getTime(),
      severity_id: 2,
      status_id: 2,
      message: 'ratelimit.exceeded',
      src_endpoint: { ip: '2001:db8::1' },
      metadata: metadata(entry),
      unmapped: { limiter: 'api', retryAfterSeconds: 30 },
    });
  });

  it('maps a key rotation to the Rampart Control Change class (99903001) Rotate, Success', async () => {
    const entry = await record({ type: 'keyring.rotated', attributes: { ring: 'sessions', kid: 'k2' } });
    expect(RAMPART_CONTROL_CHANGE_CLASS_UID).toBe(999 * 100_000 + 3 * 1000 + 1);
    expect(toOcsf(entry)).toStrictEqual({
      class_uid: 99_903_001,
      class_name: 'Rampart Control Change',
      category_uid: 3,
      activity_id: 1,
      activity_name: 'Rotate',
      type_uid: 9_990_300_101,
      time: EVENT_AT.getTime(),
      severity_id: 1,
      status_id: 1,
      message: 'keyring.rotated',
      metadata: metadata(entry),
      unmapped: { ring: 'sessions', kid: 'k2' },
    });
  });

  it('maps a failed OAuth client authentication to Authentication (3002) Logon, Failure, with the address as the source', async () => {
    const entry = await record({ type: 'oauth.client.authentication_failed', attributes: { clientId: 'billing', endpoint: 'token', method: 'client_secret_basic', reason: 'wrong_secret', clientIp: '203.0.113.9' } });
    expect(toOcsf(entry)).toStrictEqual({
      class_uid: 3002,
      class_name: 'Authentication',
      category_uid: 3,
      activity_id: 1,
      activity_name: 'Logon',
      type_uid: 300201,
      time: EVENT_AT.getTime(),
      severity_id: 2,
      status_id: 2,
      message: 'oauth.client.authentication_failed',
      src_endpoint: { ip: '203.0.113.9' },
      metadata: metadata(entry),
      unmapped: { clientId: 'billing', endpoint: 'token', method: 'client_secret_basic', reason: 'wrong_secret' },
    });
  });

  it('maps OAuth artifact reuse to a High failure of the Service Ticket activity it replays', async () => {
    const code = toOcsf(await record({ type: 'oauth.code.reused', attributes: { clientId: 'app', grantId: 'g-1' } }));
    const refresh = toOcsf(await record({ type: 'oauth.refresh.reused', subject: 'acct_1', attributes: { clientId: 'app', grantId: 'g-2' } }));
    expect([code.class_uid, code.activity_name, code.status_id, code.severity_id]).toEqual([3002, 'Service Ticket Request', 2, 4]);
    expect([refresh.class_uid, refresh.activity_name, refresh.status_id, refresh.severity_id, refresh.actor]).toEqual([3002, 'Service Ticket Renew', 2, 4, { user: { uid: 'acct_1' } }]);
  });

  it('maps OAuth consent to Account Change Attach / Detach Policy, and client administration to Account Change with the administrator as actor', async () => {
    const granted = toOcsf(await record({ type: 'oauth.consent.granted', subject: 'acct_1', attributes: { clientId: 'app', grantId: 'g-1', scope: 'openid email' } }));
    const revoked = toOcsf(await record({ type: 'oauth.consent.revoked', subject: 'acct_1', attributes: { clientId: 'app', grants: 2 } }));
    expect([granted.class_uid, granted.activity_id, granted.activity_name, granted.status_id]).toEqual([3001, 7, 'Attach Policy', 1]);
    expect([revoked.class_uid, revoked.activity_id, revoked.activity_name, revoked.status_id]).toEqual([3001, 8, 'Detach Policy', 1]);
    const admin = 'admin_1';
    const changes = await Promise.all(
      (['oauth.client.created', 'oauth.client.updated', 'oauth.client.secret_rotated', 'oauth.client.deleted'] as const).map(async (type) => toOcsf(await record({ type, subject: admin, attributes: { clientId: 'app', by: admin } }))),
    );
    expect(changes.map((e) => [e.class_uid, e.activity_name, e.severity_id, e.actor?.user.uid])).toEqual([
      [3001, 'Create', 3, admin],
      [3001, 'Other', 3, admin],
      [3001, 'Password Change', 3, admin],
      [3001, 'Delete', 3, admin],
    ]);
  });

  it('takes class and status from the type only: attributes cannot override them', async () => {
    const entry = await record({ type: 'authz.denied', attributes: { class_uid: 3002, status_id: 1, clientIp: 7 } });
    const ocsf = toOcsf(entry);
    expect([ocsf.class_uid, ocsf.status_id, ocsf.src_endpoint]).toEqual([3003, 2, undefined]);
    expect(ocsf.unmapped).toEqual({ class_uid: 3002, status_id: 1, clientIp: 7 });
  });

  it('maps every event type, with classes as documented', () => {
    const classes = new Map<number, string[]>();
    for (const type of Object.keys(ALL_TYPES) as SecurityEventType[]) {
      const ocsf = toOcsf({ seq: 0, at: EVENT_AT.toISOString(), event: { type, at: EVENT_AT.toISOString() } });
      expect(ocsf.type_uid).toBe(ocsf.class_uid * 100 + ocsf.activity_id);
      classes.set(ocsf.class_uid, [...(classes.get(ocsf.class_uid) ?? []), type]);
    }
    expect(classes.get(3002)?.filter((t) => !/^(auth\.login|mfa|session|token\.refresh|token\.issued|token\.access\.refused|token\.apikey\.refused)/.test(t)).sort()).toEqual([
      'oauth.client.authentication_failed',
      'oauth.code.reused',
      'oauth.grant.revoked',
      'oauth.refresh.reused',
      'oauth.request.refused',
      'oauth.token.issued',
      'oauth.token.revoked',
    ]);
    expect(classes.get(3001)?.filter((t) => !t.startsWith('account.') && !t.startsWith('oauth.')).sort()).toEqual(['authz.role.granted', 'authz.role.revoked', 'mfa.backup_codes.regenerated', 'mfa.totp.enrolled', 'mfa.totp.removed', 'mfa.webauthn.registered', 'mfa.webauthn.removed', 'password.hasher_busy', 'password.rehashed', 'token.apikey.created', 'token.apikey.revoked']);
    // OAuth consent (a standing permission, like a role) and client administration (a program's account).
    expect(classes.get(3001)?.filter((t) => t.startsWith('oauth.')).sort()).toEqual([
      'oauth.client.created',
      'oauth.client.deleted',
      'oauth.client.secret_rotated',
      'oauth.client.updated',
      'oauth.consent.denied',
      'oauth.consent.granted',
      'oauth.consent.revoked',
    ]);
    expect(classes.get(3001)?.filter((t) => t.startsWith('account.'))).toHaveLength(13);
    expect(classes.get(3003)?.sort()).toEqual(['authz.allowed', 'authz.denied', 'authz.failed']);
    expect(classes.get(6003)?.every((t) => /^(http|ratelimit)\./.test(t) || t === 'admin.accessed' || t === 'audit.accessed')).toBe(true);
    expect(classes.get(RAMPART_CONTROL_CHANGE_CLASS_UID)?.sort()).toEqual([
      'audit.events_dropped',
      'audit.pruned',
      'audit.verified',
      'audit.verify_failed',
      'authz.policy.activated',
      'authz.policy.refused',
      'authz.policy.reloaded',
      'config.loosened',
      'detect.alert',
      'keyring.retired',
      'keyring.rotated',
      'token.jwks.key_ignored',
      'token.signing_key.retired',
      'token.signing_key.rotated',
    ]);
    const successes = Object.keys(ALL_TYPES).filter((type) => toOcsf({ seq: 0, at: EVENT_AT.toISOString(), event: { type, at: EVENT_AT.toISOString() } }).status_id === 1);
    expect(successes.filter((t) => /failed|denied|refused|replay|reuse|regression|exceeded|unavailable|locked|throttled/.test(t))).toEqual([]);
  });

  it('refuses an entry whose type is not a known event type', () => {
    const call = () => toOcsf({ seq: 0, at: EVENT_AT.toISOString(), event: { type: 'auth.login.forged', at: EVENT_AT.toISOString() } });
    expect(call).toThrow(AuditError);
    expect(call).toThrow(/no OCSF mapping/);
  });
});
