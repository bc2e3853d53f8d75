import type { SecurityEventType } from '../events.js';
import type { AuditEntry } from './canonical.js';
import { AuditError } from './errors.js';

/** OCSF schema version the objects follow. */
export const OCSF_VERSION = '1.3.0';

/**
 * The Rampart extension's class for changes to security controls (keys, policies, loosened configuration, alerts).
 * OCSF numbers extension classes `extension uid × 100000 + category uid × 1000 + class id`; Rampart uses extension uid
 * 999 (outside the uids registered for OCSF's own extensions), category 3 (Identity & Access Management), class 1.
 */
export const RAMPART_CONTROL_CHANGE_CLASS_UID = 99_903_001;

/** OCSF `class_uid`s used by {@link toOcsf}. */
export type OcsfClassUid = 3001 | 3002 | 3003 | 6003 | typeof RAMPART_CONTROL_CHANGE_CLASS_UID;

/** OCSF `status_id`: 1 Success, 2 Failure. */
export type OcsfStatusId = 1 | 2;

/** OCSF `severity_id`: 1 Informational, 2 Low, 3 Medium, 4 High. */
export type OcsfSeverityId = 1 | 2 | 3 | 4;

/** One audit entry as an OCSF event. */
export interface OcsfEvent {
  readonly class_uid: OcsfClassUid;
  readonly class_name: string;
  readonly category_uid: 3 | 6;
  readonly activity_id: number;
  readonly activity_name: string;
  /** `class_uid × 100 + activity_id`. */
  readonly type_uid: number;
  /** The event's own time, ms since the epoch. */
  readonly time: number;
  readonly severity_id: OcsfSeverityId;
  readonly status_id: OcsfStatusId;
  readonly message: string;
  readonly actor?: { readonly user: { readonly uid: string } };
  readonly src_endpoint?: { readonly ip: string };
  readonly metadata: {
    readonly version: string;
    readonly product: { readonly name: 'Rampart'; readonly vendor_name: 'Rampart' };
    /** The entry's seq. */
    readonly uid: string;
    /** When the log accepted the entry, ms since the epoch. */
    readonly logged_time: number;
    readonly log_name: 'rampart.audit';
    /** Rampart extension attribute: the entry's chain hash (hex), when known. */
    readonly log_hash?: string;
  };
  readonly unmapped?: Readonly<Record<string, string | number | boolean>>;
}

interface Mapping {
  readonly classUid: OcsfClassUid;
  readonly activityId: number;
  readonly activity: string;
  readonly status: OcsfStatusId;
  readonly severity: OcsfSeverityId;
}

const CLASS_NAMES: Readonly<Record<OcsfClassUid, { readonly name: string; readonly category: 3 | 6 }>> = {
  3001: { name: 'Account Change', category: 3 },
  3002: { name: 'Authentication', category: 3 },
  3003: { name: 'Authorize Session', category: 3 },
  6003: { name: 'API Activity', category: 6 },
  [RAMPART_CONTROL_CHANGE_CLASS_UID]: { name: 'Rampart Control Change', category: 3 },
};

const OK = 1;
const FAIL = 2;

function m(classUid: OcsfClassUid, activityId: number, activity: string, status: OcsfStatusId, severity: OcsfSeverityId): Mapping {
  return { classUid, activityId, activity, status, severity };
}

/*
 * Activity ids follow OCSF 1.3: Authentication 1 Logon, 2 Logoff, 4 Service Ticket Request, 5 Service Ticket Renew, 99 Other; Account Change
 * 1 Create, 2 Enable, 3 Password Change, 4 Password Reset, 5 Disable, 6 Delete, 7 Attach Policy (a role bound), 8 Detach Policy (a role
 * unbound), 9 Lock, 10 MFA Factor Enable, 11 MFA Factor Disable, 99 Other; Authorize Session
 * and API Activity 99 Other (the event does not name privileges or a CRUD verb), API Activity 2 Read for reads by
 * administrators and of the audit trail. Rampart Control Change: 1 Rotate,
 * 2 Retire, 3 Reload, 4 Refuse, 5 Loosen, 6 Alert, 7 Prune, 8 Drop, 9 Activate, 10 Verify. Severity: Informational for success, Low for a
 * refusal, Medium for an outage or a loosened control, High for signs of an attack (token reuse, replay, counter
 * regression, lockout, alert).
 *
 * OAuth follows the same logic. What the token endpoint does is Authentication, as Rampart's own tokens are: a token
 * issued is a Service Ticket Request (a refresh grant too — the type, not an attribute, decides), a reused code a
 * failed Service Ticket Request and a reused refresh token a failed Service Ticket Renew (High), a revoked token or
 * grant a Logoff, a failed client authentication a failed Logon (the client is the principal logging on), any other
 * refusal Other. A grant's end is Informational: the reuse that causes one is its own High event. Consent is a
 * standing permission an account gives a client, remembered across sessions and withdrawn like a role binding: Account
 * Change Attach Policy (a refusal fails it, Informational: it is the user's choice) and Detach Policy, as
 * `authz.role.*`. A client is an account of a program: its registration, change, secret rotation and deletion are
 * Account Change Create, Other, Password Change and Delete, Medium like an administrator's account changes.
 */
function mapping(type: SecurityEventType): Mapping {
  switch (type) {
    case 'auth.login.succeeded':
      return m(3002, 1, 'Logon', OK, 1);
    case 'auth.login.failed':
      return m(3002, 1, 'Logon', FAIL, 2);
    case 'auth.login.throttled':
      return m(3002, 1, 'Logon', FAIL, 2);
    case 'auth.login.locked':
      return m(3002, 1, 'Logon', FAIL, 4);
    case 'mfa.totp.replay':
      return m(3002, 1, 'Logon', FAIL, 4);
    case 'mfa.backup_code.used':
      return m(3002, 1, 'Logon', OK, 1);
    case 'mfa.webauthn.counter_regression':
      return m(3002, 1, 'Logon', FAIL, 4);
    case 'mfa.totp.failed':
    case 'mfa.backup_code.failed':
    case 'mfa.webauthn.failed':
      return m(3002, 1, 'Logon', FAIL, 2);
    case 'session.created':
      return m(3002, 1, 'Logon', OK, 1);
    case 'session.refused_limit':
      return m(3002, 1, 'Logon', FAIL, 2);
    case 'session.rotated':
      return m(3002, 99, 'Other', OK, 1);
    case 'session.revoked':
    case 'session.evicted':
      return m(3002, 2, 'Logoff', OK, 1);
    case 'token.issued':
      return m(3002, 4, 'Service Ticket Request', OK, 1);
    case 'token.access.refused':
      return m(3002, 99, 'Other', FAIL, 2);
    case 'token.refresh.rotated':
      return m(3002, 5, 'Service Ticket Renew', OK, 1);
    case 'token.refresh.reuse_detected':
      return m(3002, 5, 'Service Ticket Renew', FAIL, 4);
    case 'token.refresh.family_revoked':
      return m(3002, 2, 'Logoff', OK, 3);
    case 'oauth.token.issued':
      return m(3002, 4, 'Service Ticket Request', OK, 1);
    case 'oauth.token.revoked':
      return m(3002, 2, 'Logoff', OK, 1);
    case 'oauth.request.refused':
      return m(3002, 99, 'Other', FAIL, 2);
    case 'oauth.code.reused':
      return m(3002, 4, 'Service Ticket Request', FAIL, 4);
    case 'oauth.refresh.reused':
      return m(3002, 5, 'Service Ticket Renew', FAIL, 4);
    case 'oauth.grant.revoked':
      return m(3002, 2, 'Logoff', OK, 1);
    case 'oauth.client.authentication_failed':
      return m(3002, 1, 'Logon', FAIL, 2);
    case 'oauth.consent.granted':
      return m(3001, 7, 'Attach Policy', OK, 1);
    case 'oauth.consent.denied':
      return m(3001, 7, 'Attach Policy', FAIL, 1);
    case 'oauth.consent.revoked':
      return m(3001, 8, 'Detach Policy', OK, 1);
    case 'oauth.client.created':
      return m(3001, 1, 'Create', OK, 3);
    case 'oauth.client.updated':
      return m(3001, 99, 'Other', OK, 3);
    case 'oauth.client.secret_rotated':
      return m(3001, 3, 'Password Change', OK, 3);
    case 'oauth.client.deleted':
      return m(3001, 6, 'Delete', OK, 3);
    case 'password.rehashed':
      return m(3001, 3, 'Password Change', OK, 1);
    case 'account.registered':
      return m(3001, 1, 'Create', OK, 1);
    case 'account.registration_existing':
      return m(3001, 1, 'Create', FAIL, 2);
    case 'account.email_verified':
      return m(3001, 99, 'Other', OK, 1);
    case 'account.token_refused':
      return m(3001, 99, 'Other', FAIL, 2);
    case 'account.password_reset_requested':
      return m(3001, 4, 'Password Reset', OK, 1);
    case 'account.password_reset_unknown':
      return m(3001, 4, 'Password Reset', FAIL, 2);
    case 'account.password_reset':
      return m(3001, 4, 'Password Reset', OK, 3);
    case 'account.password_changed':
      return m(3001, 3, 'Password Change', OK, 3);
    case 'account.profile_updated':
      return m(3001, 99, 'Other', OK, 1);
    case 'account.created':
      return m(3001, 1, 'Create', OK, 3);
    case 'account.disabled':
      return m(3001, 5, 'Disable', OK, 3);
    case 'account.enabled':
      return m(3001, 2, 'Enable', OK, 3);
    case 'account.credentials_revoked':
      return m(3001, 99, 'Other', OK, 3);
    case 'admin.accessed':
    case 'audit.accessed':
      return m(6003, 2, 'Read', OK, 1);
    case 'audit.verified':
      return m(RAMPART_CONTROL_CHANGE_CLASS_UID, 10, 'Verify', OK, 1);
    case 'audit.verify_failed':
      return m(RAMPART_CONTROL_CHANGE_CLASS_UID, 10, 'Verify', FAIL, 4);
    case 'password.hasher_busy':
      return m(3001, 99, 'Other', FAIL, 3);
    case 'token.apikey.created':
      return m(3001, 1, 'Create', OK, 1);
    case 'token.apikey.revoked':
      return m(3001, 6, 'Delete', OK, 1);
    case 'token.apikey.refused':
      return m(3002, 1, 'Logon', FAIL, 2);
    case 'authz.role.granted':
      return m(3001, 7, 'Attach Policy', OK, 1);
    case 'authz.role.revoked':
      return m(3001, 8, 'Detach Policy', OK, 1);
    case 'mfa.webauthn.registered':
    case 'mfa.totp.enrolled':
      return m(3001, 10, 'MFA Factor Enable', OK, 1);
    case 'mfa.totp.removed':
    case 'mfa.webauthn.removed':
      return m(3001, 11, 'MFA Factor Disable', OK, 1);
    case 'mfa.backup_codes.regenerated':
      return m(3001, 99, 'Other', OK, 1);
    case 'authz.allowed':
      return m(3003, 99, 'Other', OK, 1);
    case 'authz.denied':
      return m(3003, 99, 'Other', FAIL, 2);
    case 'authz.failed':
      return m(3003, 99, 'Other', FAIL, 3);
    case 'http.guard_failed':
      return m(6003, 99, 'Other', FAIL, 3);
    case 'http.cors.refused':
    case 'http.csrf.refused':
    case 'http.body.refused':
    case 'http.csp.violation':
    case 'http.client_ip.untrusted_forwarding':
      return m(6003, 99, 'Other', FAIL, 2);
    case 'http.csrf.exempted':
      return m(6003, 99, 'Other', OK, 1);
    case 'ratelimit.exceeded':
      return m(6003, 99, 'Other', FAIL, 2);
    case 'ratelimit.store_unavailable':
      return m(6003, 99, 'Other', FAIL, 3);
    case 'keyring.rotated':
    case 'token.signing_key.rotated':
      return m(RAMPART_CONTROL_CHANGE_CLASS_UID, 1, 'Rotate', OK, 1);
    case 'keyring.retired':
    case 'token.signing_key.retired':
      return m(RAMPART_CONTROL_CHANGE_CLASS_UID, 2, 'Retire', OK, 1);
    case 'authz.policy.reloaded':
      return m(RAMPART_CONTROL_CHANGE_CLASS_UID, 3, 'Reload', OK, 1);
    case 'authz.policy.refused':
    case 'token.jwks.key_ignored':
      return m(RAMPART_CONTROL_CHANGE_CLASS_UID, 4, 'Refuse', FAIL, 3);
    case 'authz.policy.activated':
      return m(RAMPART_CONTROL_CHANGE_CLASS_UID, 9, 'Activate', OK, 1);
    case 'config.loosened':
      return m(RAMPART_CONTROL_CHANGE_CLASS_UID, 5, 'Loosen', OK, 3);
    case 'detect.alert':
      return m(RAMPART_CONTROL_CHANGE_CLASS_UID, 6, 'Alert', OK, 4);
    case 'audit.pruned':
      return m(RAMPART_CONTROL_CHANGE_CLASS_UID, 7, 'Prune', OK, 3);
    case 'audit.events_dropped':
      return m(RAMPART_CONTROL_CHANGE_CLASS_UID, 8, 'Drop', FAIL, 4);
    default: {
      // A new SecurityEventType fails to compile here until it is mapped.
      const unmapped: never = type;
      throw new AuditError('AUDIT_MALFORMED_ENTRY', `no OCSF mapping for event type ${JSON.stringify(unmapped)}`);
    }
  }
}

/** The OCSF class of an event type: what retention periods and compliance mappings are stated per. */
export function ocsfClassOf(type: SecurityEventType): OcsfClassUid {
  return mapping(type).classUid;
}

function millis(iso: string, what: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new AuditError('AUDIT_MALFORMED_ENTRY', `${what} is not an ISO 8601 time`);
  return ms;
}

/**
 * Maps an audit entry to an OCSF 1.3 event so a SIEM can ingest the trail without a Rampart-specific parser. The
 * class, activity, status and severity come only from the event type (an exhaustive switch over `SecurityEventType`),
 * never from attacker-controlled attributes; `subject` becomes `actor.user.uid`, a string `clientIp` attribute
 * `src_endpoint.ip`, and every other attribute goes to `unmapped`. Throws `AUDIT_MALFORMED_ENTRY` for an unknown type.
 */
export function toOcsf(entry: AuditEntry & { readonly chainHash?: string }): OcsfEvent {
  const map = mapping(entry.event.type as SecurityEventType);
  const klass = CLASS_NAMES[map.classUid];
  const rest: Record<string, string | number | boolean> = {};
  let ip: string | undefined;
  for (const [key, value] of Object.entries(entry.event.attributes ?? {})) {
    if (key === 'clientIp' && typeof value === 'string') ip = value;
    else Object.defineProperty(rest, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return {
    class_uid: map.classUid,
    class_name: klass.name,
    category_uid: klass.category,
    activity_id: map.activityId,
    activity_name: map.activity,
    type_uid: map.classUid * 100 + map.activityId,
    time: millis(entry.event.at, 'event.at'),
    severity_id: map.severity,
    status_id: map.status,
    message: entry.event.type,
    ...(entry.event.subject === undefined ? {} : { actor: { user: { uid: entry.event.subject } } }),
    ...(ip === undefined ? {} : { src_endpoint: { ip } }),
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'Rampart', vendor_name: 'Rampart' },
      uid: String(entry.seq),
      logged_time: millis(entry.at, 'entry.at'),
      log_name: 'rampart.audit',
      ...(entry.chainHash === undefined ? {} : { log_hash: entry.chainHash }),
    },
    ...(Object.keys(rest).length === 0 ? {} : { unmapped: rest }),
  };
}
