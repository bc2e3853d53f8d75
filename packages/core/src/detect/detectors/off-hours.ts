import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent, SecurityEventType } from '../../events.js';
import { HOUR, positive, stringAttribute, subjectOf, type Detector } from '../detector.js';

export interface OffHoursAdminOptions {
  /** Event types that are administrative actions. Default: key, signing-key and API-key management, policy reloads, loosened configuration and OAuth client administration. */
  readonly adminEventTypes?: readonly SecurityEventType[];
  /** `authz.allowed` events whose `action` attribute is one of these are administrative too. Default none. */
  readonly adminActions?: readonly string[];
  /** Start of working hours, local hour 0–24 (fractions allowed). Default 8. */
  readonly workStartHour?: number;
  /** End of working hours (exclusive); below the start means a shift across midnight. Default 18. */
  readonly workEndHour?: number;
  /** Working days, 0 = Sunday … 6 = Saturday, local. Default Monday to Friday. */
  readonly workDays?: readonly number[];
  /** Local time = UTC + this many minutes (e.g. 60 for CET, -300 for EST). Default 0. */
  readonly utcOffsetMinutes?: number;
  /** Off-hours actions of one actor within this time are one alert. Default 1 hour. */
  readonly windowMs?: number;
}

/**
 * Administrative event types watched by default: changes to keys, credentials, policy and safety settings, and OAuth
 * client administration (a client registered at night can receive users' codes; its subject is the administrator).
 */
export const DEFAULT_ADMIN_EVENT_TYPES: readonly SecurityEventType[] = [
  'keyring.rotated',
  'keyring.retired',
  'token.signing_key.rotated',
  'token.signing_key.retired',
  'token.apikey.created',
  'token.apikey.revoked',
  'authz.policy.reloaded',
  'authz.policy.activated',
  'authz.role.granted',
  'authz.role.revoked',
  'config.loosened',
  'oauth.client.created',
  'oauth.client.updated',
  'oauth.client.secret_rotated',
  'oauth.client.deleted',
];

function hour(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isFinite(result) || result < 0 || result > 24) throw new ConfigurationError(`${name} must be an hour 0–24`);
  return result;
}

/**
 * Administrative actions outside working hours: key rotation, API-key creation, policy changes at 3 a.m. on a Sunday.
 * Protects against an attacker with an administrator's credentials acting while nobody is watching. Uses the event's
 * own time (when the action happened), in the configured time zone offset.
 */
export function offHoursAdminDetector(options: OffHoursAdminOptions = {}): Detector {
  const name = 'off_hours_admin';
  const adminTypes = new Set(options.adminEventTypes ?? DEFAULT_ADMIN_EVENT_TYPES);
  const adminActions = new Set(options.adminActions ?? []);
  const start = hour('offHoursAdmin.workStartHour', options.workStartHour, 8);
  const end = hour('offHoursAdmin.workEndHour', options.workEndHour, 18);
  if (start === end) throw new ConfigurationError('offHoursAdmin working hours must not be empty');
  const days = new Set(options.workDays ?? [1, 2, 3, 4, 5]);
  for (const day of days) if (!Number.isInteger(day) || day < 0 || day > 6) throw new ConfigurationError('offHoursAdmin.workDays must be 0–6');
  const offset = options.utcOffsetMinutes ?? 0;
  if (!Number.isInteger(offset) || Math.abs(offset) > 14 * 60) throw new ConfigurationError('offHoursAdmin.utcOffsetMinutes must be an integer within ±840');
  const windowMs = positive('offHoursAdmin.windowMs', options.windowMs, HOUR);
  const types: SecurityEventType[] = [...adminTypes];
  if (adminActions.size > 0 && !adminTypes.has('authz.allowed')) types.push('authz.allowed');

  const isAdmin = (event: SecurityEvent): boolean => {
    if (adminTypes.has(event.type)) return true;
    const action = stringAttribute(event, 'action');
    return event.type === 'authz.allowed' && action !== undefined && adminActions.has(action);
  };

  return {
    name,
    types,
    async inspect(event, { counter }) {
      const time = event.at.getTime();
      if (!Number.isFinite(time) || !isAdmin(event)) return undefined;
      const local = new Date(time + offset * 60_000);
      const localHour = local.getUTCHours() + local.getUTCMinutes() / 60;
      const inHours = start < end ? localHour >= start && localHour < end : localHour >= start || localHour < end;
      if (days.has(local.getUTCDay()) && inHours) return undefined;
      const actor = subjectOf(event) ?? 'unknown';
      const hits = await counter.hit(`${name}:n:${actor}`, windowMs);
      return {
        detector: name,
        key: actor,
        keyKind: 'principal',
        ...(actor === 'unknown' ? {} : { subject: actor }),
        severity: 'medium',
        count: hits.count,
        threshold: 1,
        windowMs,
        first: hits.first,
        last: hits.last,
        details: {
          eventType: event.type,
          ...(event.type === 'authz.allowed' ? { action: stringAttribute(event, 'action') ?? '' } : {}),
          localTime: local.toISOString().slice(11, 16),
          localDay: local.getUTCDay(),
        },
      };
    },
  };
}
