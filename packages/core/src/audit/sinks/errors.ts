import { RampartError } from '../../errors.js';

/** Why a sink gave up on a batch. Stable, part of the public API. */
export type SinkErrorCode =
  /** The receiver refused the batch for good (an HTTP 4xx, a JetStream rejection): retrying would only repeat it. */
  | 'SINK_REJECTED'
  /** A transient failure (connection refused or reset, timeout, 5xx); the batch is retried with backoff. */
  | 'SINK_UNAVAILABLE';

/**
 * Raised inside a sink's delivery loop, never into the caller's request path: `write()` does not throw. A
 * `SINK_REJECTED` batch is counted as `failed`; anything else is retried with backoff.
 */
export class SinkError extends RampartError<SinkErrorCode> {
  constructor(code: SinkErrorCode, message: string, options?: ErrorOptions) {
    super(code, `audit sink: ${message}`, options);
  }
}
