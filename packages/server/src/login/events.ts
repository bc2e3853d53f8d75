import type { Clock, SecurityEventSink, SecurityEventType } from '@rampart/core';
import { eventEmitter, type EmitEvent } from '../http/events.js';

/** The event types the login module emits (all in core's list and its OCSF mapping). */
export type LoginEventType = Extract<SecurityEventType, 'auth.login.succeeded' | 'auth.login.failed' | 'account.password_changed' | 'account.profile_updated' | 'password.hasher_busy'>;

/** Event attributes: ids, reasons, counts — never an address, a password, a code or a token. */
export type { EventAttributes } from '../http/events.js';

/** Emits the module's security events, stamped by the server's clock. */
export type LoginEvents = EmitEvent<LoginEventType>;

/**
 * The module's emitter. Protects the audit trail from secrets by construction: callers pass ids and reasons only, and a
 * throwing sink (which breaks `SecurityEventSink`'s contract) cannot turn a decided request into a 500.
 */
export function loginEvents(sink: SecurityEventSink, clock: Clock): LoginEvents {
  return eventEmitter<LoginEventType>(sink, clock);
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
