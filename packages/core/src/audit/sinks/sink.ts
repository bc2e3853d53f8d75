import type { SecurityEvent } from '../../events.js';

/** Counters of one sink since it was created. */
export interface SinkStats {
  /** Events the receiver accepted (a TCP/TLS write completed, a 2xx, a JetStream ack). */
  readonly sent: number;
  /** Events refused by `write()` because the buffer was full or the sink closed: never sent. */
  readonly dropped: number;
  /** Events given up on after delivery: rejected by the receiver, unformattable, or still buffered at `close()`. */
  readonly failed: number;
  /** Events waiting in the buffer, including the batch in flight. */
  readonly buffered: number;
}

/**
 * A loss report. Losing audit events silently is what an attacker flooding the log wants, so every drop and failure is
 * counted and reported; reports are coalesced (one per burst) so a flood cannot turn into a flood of reports.
 */
export interface SinkReport {
  readonly type: 'audit.sink.dropped' | 'audit.sink.failed';
  /** The sink's name (`syslog`, `webhook`, …, or the `name` option). */
  readonly sink: string;
  /** Events lost since the previous report of this type. */
  readonly count: number;
  /** Events lost of this type since the sink was created. */
  readonly total: number;
}

/** Receives loss reports. Must not throw; if it does, the error is swallowed (the request path is never disturbed). */
export type SinkReportListener = (report: SinkReport) => void;

/**
 * Delivers security events to a SIEM without ever blocking or failing the request that produced them: `write()` is
 * synchronous, never throws, and only appends to a bounded buffer; delivery, retries and reconnects happen off the
 * request path.
 */
export interface AuditSink {
  readonly name: string;
  /** Enqueues the event; when the buffer is full (or the sink is closed) the event is dropped and counted. */
  write(event: SecurityEvent): void;
  /**
   * Resolves once every event written before the call was sent or failed, or after `flushTimeoutMs` (the receiver
   * may be down for hours; a flush must not hang a shutdown). Never rejects; read `stats()` to see what happened.
   */
  flush(): Promise<void>;
  /** Stops accepting events, flushes for at most `closeTimeoutMs`, counts what is left as `failed`, and disconnects. */
  close(): Promise<void>;
  stats(): SinkStats;
}

/** Options every sink takes. */
export interface SinkOptions {
  /** Name used in reports. */
  readonly name?: string;
  /** Most events held in memory, including the batch in flight. Default 10 000. */
  readonly bufferSize?: number;
  /** Receives `audit.sink.dropped` / `audit.sink.failed` counts. */
  readonly events?: SinkReportListener;
  /** First retry delay; doubles per consecutive failure, with jitter. Default 100 ms. */
  readonly retryInitialMs?: number;
  /** Ceiling of the retry delay. Default 30 000 ms. */
  readonly retryMaxMs?: number;
  /** Longest `flush()` waits. Default 5 000 ms. */
  readonly flushTimeoutMs?: number;
  /** Longest `close()` tries to deliver what is buffered. Default 5 000 ms. */
  readonly closeTimeoutMs?: number;
}

export const DEFAULT_BUFFER_SIZE = 10_000;
