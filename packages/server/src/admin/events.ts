import type { Clock, SecurityEventSink, SecurityEventType } from '@rampart/core';
import { eventEmitter, type EmitEvent, type EventAttributes } from '../http/events.js';

/**
 * The event types the administration module emits (all in core's list and its OCSF mapping). OAuth clients are
 * accounts of programs: their administration uses the account types with `principal: "oauth_client"` — created,
 * `profile_updated` (a change), `password_changed` (a secret rotation), `disabled` (deleted).
 */
export type AdminEventType = Extract<
  SecurityEventType,
  | 'account.created'
  | 'account.profile_updated'
  | 'account.password_changed'
  | 'account.disabled'
  | 'account.enabled'
  | 'account.credentials_revoked'
  | 'admin.accessed'
  | 'audit.accessed'
  | 'audit.verified'
  | 'audit.verify_failed'
  | 'authz.role.granted'
>;

/** Event attributes: ids, counts, route names and reasons — never an address, a password, a token or entry contents. */
export type AdminEventAttributes = EventAttributes;

/** Emits one of the module's events, stamped by the server's clock. */
export type AdminEvents = EmitEvent<AdminEventType>;

/** The module's emitter (../http/events.ts): flat attributes only, and a throwing sink cannot fail a request. */
export function adminEvents(sink: SecurityEventSink, clock: Clock): AdminEvents {
  return eventEmitter<AdminEventType>(sink, clock);
}
