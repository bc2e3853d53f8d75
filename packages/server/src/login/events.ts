import type { Clock, SecurityEvent, SecurityEventSink, SecurityEventType } from '@rampart/core';

/** The event types the login module emits (all in core's list and its OCSF mapping). */
export type LoginEventType = Extract<SecurityEventType, 'auth.login.succeeded' | 'auth.login.failed' | 'account.password_changed' | 'account.profile_updated'>;

/** Event attributes: ids, reasons, counts — never an address, a password, a code or a token. */
export type EventAttributes = Readonly<Record<string, string | number | boolean>>;

/** Emits the module's security events, stamped by the server's clock. */
export type LoginEvents = (type: LoginEventType, subject: string | undefined, attributes?: EventAttributes) => void;

/**
 * The module's emitter. Protects the audit trail from secrets by construction: callers pass ids and reasons only, and a
 * throwing sink (which breaks `SecurityEventSink`'s contract) cannot turn a decided request into a 500.
 */
export function loginEvents(sink: SecurityEventSink, clock: Clock): LoginEvents {
  return (type, subject, attributes) => {
    const event: SecurityEvent = {
      type,
      at: new Date(clock.now()),
      ...(subject === undefined ? {} : { subject }),
      ...(attributes === undefined ? {} : { attributes }),
    };
    try {
      sink(event);
    } catch {
      // The sink's contract says it does not throw; if it does, the decision stands.
    }
  };
}

/**
 * The sink handed to core's login throttles: their `auth.login.throttled` and `auth.login.locked` pass through, while
 * their `auth.login.failed` / `succeeded` are dropped because the module emits its own, which name the account id (when
 * there is one) and the reason — one event per attempt, so the brute-force detectors count each attempt once.
 */
export function throttleEventSink(sink: SecurityEventSink): SecurityEventSink {
  return (event) => {
    if (event.type === 'auth.login.failed' || event.type === 'auth.login.succeeded') return;
    sink(event);
  };
}
