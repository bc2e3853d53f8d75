import { randomUUID } from 'node:crypto';
import { jetstream, JetStreamApiError, type JetStreamClient, type JetStreamPublishOptions } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { SinkError } from './errors.js';
import { whole } from './options.js';
import { QueuedSink, type QueuedEvent, type Transport } from './queue.js';
import type { AuditSink, SinkOptions } from './sink.js';
import { eventJson } from './webhook.js';

export interface JetStreamSinkOptions extends SinkOptions {
  /** An open NATS connection; the caller owns it (`close()` does not close it). */
  readonly connection: NatsConnection;
  /** Subject the events are published to; a stream must capture it. */
  readonly subject: string;
  /** Stream expected to store the events; a publish captured by another stream is then rejected. */
  readonly stream?: string;
  /** Time to wait for each publish ack. Default 5 000 ms. */
  readonly ackTimeoutMs?: number;
}

const SUBJECT = /^[^\s*>.]+(?:\.[^\s*>.]+)*$/;

/**
 * Publishes one event at a time and waits for its ack before the next, so the stream stores events in write order.
 * Each publish carries a `Nats-Msg-Id` unique to this sink and event, so a retry after a lost ack is deduplicated by
 * the server (within the stream's duplicate window) instead of stored twice.
 */
class JetStreamTransport implements Transport<Uint8Array> {
  readonly #js: JetStreamClient;
  readonly #subject: string;
  readonly #prefix = randomUUID();
  readonly #options: Partial<JetStreamPublishOptions>;

  constructor(options: JetStreamSinkOptions) {
    this.#js = jetstream(options.connection);
    this.#subject = options.subject;
    const timeout = whole('jetstream', 'ackTimeoutMs', options.ackTimeoutMs, 5_000, 1);
    this.#options = { timeout, ...(options.stream === undefined ? {} : { expect: { streamName: options.stream } }) };
  }

  encode(event: SecurityEvent): Uint8Array {
    return Buffer.from(eventJson(event), 'utf8');
  }

  async deliver(batch: readonly QueuedEvent<Uint8Array>[]): Promise<void> {
    for (const item of batch) {
      try {
        await this.#js.publish(this.#subject, item.value, { ...this.#options, msgID: `${this.#prefix}-${item.id}` });
      } catch (error) {
        // The server answered and refused (a stream expectation not met, limits): the same publish would fail again.
        // Timeouts and "no responders" (server or stream not up yet) are retried.
        if (error instanceof JetStreamApiError) throw new SinkError('SINK_REJECTED', `jetstream refused the publish (${error.code})`, { cause: error });
        throw new SinkError('SINK_UNAVAILABLE', 'jetstream publish failed', { cause: error });
      }
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A NATS JetStream sink: ordered, acknowledged, deduplicated publishes, off the request path and bounded like every sink. */
export function jetStreamSink(options: JetStreamSinkOptions): AuditSink {
  if (typeof options.subject !== 'string' || !SUBJECT.test(options.subject)) {
    throw new ConfigurationError('audit sink jetstream: subject must be a literal subject (no wildcards or spaces)');
  }
  return new QueuedSink('jetstream', new JetStreamTransport(options), { batchSize: 1, batchDelayMs: 0 }, options);
}
