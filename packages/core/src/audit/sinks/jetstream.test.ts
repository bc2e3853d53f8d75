import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../events.js';
import { jetStreamSink } from './jetstream.js';

const url = process.env.RAMPART_TEST_NATS_URL;
const at = new Date('2026-11-28T10:00:00.000Z');
const event = (n: number): SecurityEvent => ({ type: 'session.created', at, subject: `user${n}`, attributes: { n } });

describe('jetStreamSink configuration', () => {
  it('refuses a wildcard or empty subject at construction', () => {
    const connection = {} as NatsConnection;
    expect(() => jetStreamSink({ connection, subject: 'audit.>' })).toThrow(/subject/);
    expect(() => jetStreamSink({ connection, subject: 'audit.*.x' })).toThrow(/subject/);
    expect(() => jetStreamSink({ connection, subject: '' })).toThrow(/subject/);
  });
});

describe.skipIf(url === undefined)('jetStreamSink against a real NATS JetStream (needs RAMPART_TEST_NATS_URL)', () => {
  let nc: NatsConnection;
  const stream = `AUDIT_${randomUUID().replace(/-/g, '')}`;
  const subject = `rampart.audit.${randomUUID()}`;

  beforeAll(async () => {
    nc = await connect({ servers: url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [subject] });
  });

  afterAll(async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream);
    await nc.close();
  });

  it('publishes every event, acknowledged, and a consumer receives them in write order', async () => {
    const sink = jetStreamSink({ connection: nc, subject, stream });
    for (let i = 0; i < 50; i += 1) sink.write(event(i));
    await sink.flush();
    expect(sink.stats()).toEqual({ sent: 50, dropped: 0, failed: 0, buffered: 0 });
    await sink.close();

    const consumer = await jetstream(nc).consumers.get(stream);
    const received: number[] = [];
    const messages = await consumer.fetch({ max_messages: 50, expires: 2_000 });
    for await (const message of messages) {
      const body = message.json<{ type: string; attributes: { n: number } }>();
      expect(body.type).toBe('session.created');
      received.push(body.attributes.n);
      if (received.length === 50) break;
    }
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('attack: a publish captured by a different stream than expected is rejected, not counted as delivered', async () => {
    const sink = jetStreamSink({ connection: nc, subject, stream: 'NOT_THE_AUDIT_STREAM', flushTimeoutMs: 1_000, closeTimeoutMs: 0 });
    sink.write(event(1));
    await sink.flush();
    // Failed by the flush, not by close(): the refusal is final, not retried until the buffer fills.
    expect(sink.stats()).toEqual({ sent: 0, dropped: 0, failed: 1, buffered: 0 });
    await sink.close();
  });
});
