import type { Clock, SecurityEventSink, SecurityEventType } from '@rampart/core';
import { eventEmitter, type EmitEvent, type EventAttributes } from '../http/events.js';

/** The events the MFA module emits itself (core's TOTP, backup-code and WebAuthn controls emit the others). */
export type MfaEventType = Extract<SecurityEventType, `mfa.${string}`>;

/** What an MFA event may carry: ids, reasons and counts — never a code, a secret or a WebAuthn response. */
export type MfaEventAttributes = EventAttributes;

/** A sink for the module's events, stamped by the server's clock. */
export type MfaEvents = EmitEvent<MfaEventType>;

/**
 * Binds the hub and the clock. Protects the factor change itself from a failing sink: an event sink must not throw
 * (`SecurityEventSink`), and if one does, the enrollment or verification outcome stands.
 */
export function mfaEvents(sink: SecurityEventSink, clock: Clock): MfaEvents {
  return eventEmitter<MfaEventType>(sink, clock);
}

/**
 * Stamps core's own events (emitted by `Totp`, `BackupCodes`, `createWebAuthn` with the wall clock) with the server's
 * clock, so the audit trail orders every MFA event on one time line.
 */
export function clockedSink(sink: SecurityEventSink, clock: Clock): SecurityEventSink {
  return (event) => {
    sink({ ...event, at: new Date(clock.now()) });
  };
}
