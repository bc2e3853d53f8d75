import type { Clock, SecurityEventSink, SecurityEventType } from '@rampart/core';

/** The event types the administration module emits (all in core's list and its OCSF mapping). */
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
>;

/** Event attributes: ids, counts, route names and reasons — never an address, a password, a token or entry contents. */
export type AdminEventAttributes = Readonly<Record<string, string | number | boolean>>;

/** Emits one of the module's events, stamped by the server's clock. */
export type AdminEvents = (type: AdminEventType, subject: string | undefined, attributes?: AdminEventAttributes) => void;

/**
 * The module's emitter. Protects the audit trail from secrets by construction (callers pass ids and counts; the type
 * admits no nested values), and a throwing sink — which breaks `SecurityEventSink`'s contract — cannot turn a decided
 * request into a 500.
 */
export function adminEvents(sink: SecurityEventSink, clock: Clock): AdminEvents {
  return (type, subject, attributes) => {
    try {
      sink({ type, at: new Date(clock.now()), ...(subject === undefined ? {} : { subject }), ...(attributes === undefined ? {} : { attributes }) });
    } catch {
      // The sink's contract says it does not throw; if it does, the change it reports stands.
    }
  };
}
