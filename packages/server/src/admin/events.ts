import type { Clock, SecurityEventSink, SecurityEventType } from '@rampart/core';
import { eventEmitter, type EmitEvent, type EventAttributes } from '../http/events.js';

/**
 * The event types the administration module emits (all in core's list and its OCSF mapping). OAuth client
 * administration has its own types, `oauth.client.created/updated/secret_rotated/deleted`, whose subject is the
 * administrator who acted (`clientId` names the client; a change made by `rampart clients` has no subject, `by: "cli"`).
 */
export type AdminEventType = Extract<
  SecurityEventType,
  | 'account.created'
  | 'account.disabled'
  | 'account.enabled'
  | 'account.credentials_revoked'
  | 'admin.accessed'
  | 'audit.accessed'
  | 'audit.verified'
  | 'audit.verify_failed'
  | 'authz.role.granted'
  | OAuthClientEventType
>;

/** The events of OAuth client administration (the admin API and `rampart clients`). */
export type OAuthClientEventType = Extract<SecurityEventType, 'oauth.client.created' | 'oauth.client.updated' | 'oauth.client.secret_rotated' | 'oauth.client.deleted'>;

/** Event attributes: ids, counts, route names and reasons — never an address, a password, a token or entry contents. */
export type AdminEventAttributes = EventAttributes;

/** Emits one of the module's events, stamped by the server's clock. */
export type AdminEvents = EmitEvent<AdminEventType>;

/** The module's emitter (../http/events.ts): flat attributes only, and a throwing sink cannot fail a request. */
export function adminEvents(sink: SecurityEventSink, clock: Clock): AdminEvents {
  return eventEmitter<AdminEventType>(sink, clock);
}
