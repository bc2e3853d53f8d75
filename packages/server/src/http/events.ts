import type { Clock, SecurityEventSink, SecurityEventType } from '@rampart/core';

/** Event attributes: ids, reasons, counts, versions — flat values only, never an address, a secret or a body. */
export type EventAttributes = Readonly<Record<string, string | number | boolean>>;

/** Emits one security event of the types `T`, stamped by the server's clock. */
export type EmitEvent<T extends SecurityEventType = SecurityEventType> = (type: T, subject: string | undefined, attributes?: EventAttributes) => void;

/**
 * Binds the hub and the clock into an emitter for the event types `T` a module may emit. Protects the audit trail from
 * secrets by construction (the attribute type admits no nested values), and a throwing sink — which breaks
 * `SecurityEventSink`'s contract — cannot turn a decided request into a 500: the change it reports stands.
 */
export function eventEmitter<T extends SecurityEventType = SecurityEventType>(sink: SecurityEventSink, clock: Clock): EmitEvent<T> {
  return (type, subject, attributes) => {
    try {
      sink({ type, at: new Date(clock.now()), ...(subject === undefined ? {} : { subject }), ...(attributes === undefined ? {} : { attributes }) });
    } catch {
      // The sink's contract says it does not throw; if it does, the change it reports stands.
    }
  };
}
