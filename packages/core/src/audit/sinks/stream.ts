import type { Writable } from 'node:stream';
import type { SecurityEvent } from '../../events.js';
import { cefFormatter, type CefOptions } from './cef.js';
import { SinkError } from './errors.js';
import { whole } from './options.js';
import { QueuedSink, type QueuedEvent, type Transport } from './queue.js';
import type { AuditSink, SinkOptions } from './sink.js';

export interface StreamSinkOptions extends SinkOptions, CefOptions {
  /** Where lines go (a file, a pipe to a forwarder, stdout). Not ended by `close()`: the caller owns it. */
  readonly stream: Writable;
  /** One line per event, without the newline. Default a CEF line ({@link cefFormatter}). */
  readonly format?: (event: SecurityEvent) => string;
  /** Lines per write. Default 100. */
  readonly batchSize?: number;
}

/** Writes lines and honours backpressure: a slow consumer fills the sink's bounded buffer, not the stream's. */
class StreamTransport implements Transport<string> {
  readonly #stream: Writable;
  readonly #format: (event: SecurityEvent) => string;

  constructor(options: StreamSinkOptions) {
    this.#stream = options.stream;
    this.#format = options.format ?? cefFormatter(options);
  }

  encode(event: SecurityEvent): string {
    // A custom format could return a newline; a line-oriented reader would see two events, so it is refused.
    const line = this.#format(event);
    if (/[\r\n]/.test(line)) throw new SinkError('SINK_REJECTED', 'a formatted line contains CR or LF');
    return `${line}\n`;
  }

  async deliver(batch: readonly QueuedEvent<string>[], signal: AbortSignal): Promise<void> {
    const stream = this.#stream;
    if (stream.destroyed || stream.writableEnded) throw new SinkError('SINK_REJECTED', 'the stream is closed');
    const ready = stream.write(batch.map((item) => item.value).join(''));
    if (ready) return;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        stream.off('drain', done);
        stream.off('close', done);
        signal.removeEventListener('abort', abort);
        resolve();
      };
      const abort = (): void => {
        stream.off('drain', done);
        stream.off('close', done);
        reject(new SinkError('SINK_UNAVAILABLE', 'sink closed'));
      };
      stream.once('drain', done);
      stream.once('close', done);
      signal.addEventListener('abort', abort, { once: true });
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A sink writing one line per event (CEF by default) to a stream. Bounded like every sink, and line-safe: escaping
 * keeps each event on one line whatever its attributes hold.
 */
export function streamSink(options: StreamSinkOptions): AuditSink {
  const batchSize = whole('stream', 'batchSize', options.batchSize, 100, 1, 100_000);
  return new QueuedSink('stream', new StreamTransport(options), { batchSize, batchDelayMs: 0 }, options);
}
