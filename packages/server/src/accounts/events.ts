import type { Clock, SecurityEventSink, SecurityEventType } from '@rampart/core';
import { eventEmitter, type EventAttributes } from '../http/events.js';

/** The events accounts emit: core's `account.*` security events (OCSF Account Change, 3001). */
export type AccountEventType = Extract<SecurityEventType, `account.${string}`>;

/** Emits an account event stamped by `clock`. Attributes carry ids and reasons, never tokens, passwords or addresses. */
export function emitAccountEvent(sink: SecurityEventSink, clock: Clock, type: AccountEventType, subject: string | undefined, attributes?: EventAttributes): void {
  eventEmitter<AccountEventType>(sink, clock)(type, subject, attributes);
}
