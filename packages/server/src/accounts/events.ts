import type { Clock, SecurityEvent, SecurityEventSink, SecurityEventType } from '@rampart/core';

/** The events accounts emit: core's `account.*` security events (OCSF Account Change, 3001). */
export type AccountEventType = Extract<SecurityEventType, `account.${string}`>;

/** Emits an account event stamped by `clock`. Attributes carry ids and reasons, never tokens, passwords or addresses. */
export function emitAccountEvent(
  sink: SecurityEventSink,
  clock: Clock,
  type: AccountEventType,
  subject: string | undefined,
  attributes?: Readonly<Record<string, string | number | boolean>>,
): void {
  const event: SecurityEvent = {
    type,
    at: new Date(clock.now()),
    ...(subject === undefined ? {} : { subject }),
    ...(attributes === undefined ? {} : { attributes }),
  };
  try {
    sink(event);
  } catch {
    // A sink must not throw (SecurityEventSink's contract); if one does, the account change stands.
  }
}
