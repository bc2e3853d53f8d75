import type { Clock, SecurityEventSink, SecurityEventType } from '@rampart/core';

/** Event attributes: ids, versions, digests and reasons — never keys, documents or request bodies. */
export type EventAttributes = Readonly<Record<string, string | number | boolean>>;

/** Emits one security event stamped by the server's clock; a failing sink never changes the outcome of a request. */
export type EmitEvent = (type: SecurityEventType, subject: string | undefined, attributes?: EventAttributes) => void;

/** Binds the hub and the clock into an {@link EmitEvent}. */
export function eventEmitter(sink: SecurityEventSink, clock: Clock): EmitEvent {
  return (type, subject, attributes) => {
    try {
      sink({ type, at: new Date(clock.now()), ...(subject === undefined ? {} : { subject }), ...(attributes === undefined ? {} : { attributes }) });
    } catch {
      // SecurityEventSink must not throw; if one does, the change it reports stands.
    }
  };
}
