import { randomUUID } from 'node:crypto';

// W3C Trace Context §3.2: version "00", 32 lower-hex trace-id (not all zero), 16 lower-hex parent-id, 2 hex flags.
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const ZERO_TRACE = '0'.repeat(32);

/**
 * The id that ties a client's problem response to the operator's logs: the trace-id of a well-formed W3C
 * `traceparent` header when present (so it joins the distributed trace), otherwise a fresh random UUID.
 *
 * Only a strictly well-formed trace-id is reused: anything else from the client (log-injection payloads, CRLF, huge
 * strings) is ignored rather than echoed into responses and logs.
 */
export function correlationIdFrom(traceparent: string | undefined): string {
  if (traceparent !== undefined && traceparent.length === 55) {
    const match = TRACEPARENT.exec(traceparent);
    const traceId = match?.[1];
    if (traceId !== undefined && traceId !== ZERO_TRACE) return traceId;
  }
  return randomUUID();
}
