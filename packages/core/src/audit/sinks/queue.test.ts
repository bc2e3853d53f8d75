import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../events.js';
import { SinkError } from './errors.js';
import { backoffMs, QueuedSink, type QueuedEvent, type Transport } from './queue.js';
import type { SinkReport } from './sink.js';

const at = new Date('2026-11-28T10:00:00.000Z');
const event = (n: number, note = ''): SecurityEvent => ({ type: 'authz.denied', at, attributes: { n, note } });

/** A transport whose behaviour each test scripts; delivered batches are recorded as the encoded strings. */
class ScriptedTransport implements Transport<string> {
  readonly batches: string[][] = [];
  readonly closed: boolean[] = [];
  constructor(private readonly behave: (batch: readonly string[], signal: AbortSignal) => Promise<void> = () => Promise.resolve()) {}
  encode(event: SecurityEvent): string {
    if (event.attributes?.note === 'unencodable') throw new Error('cannot encode');
    return JSON.stringify(event.attributes);
  }
  async deliver(batch: readonly QueuedEvent<string>[], signal: AbortSignal): Promise<void> {
    const values = batch.map((item) => item.value);
    await this.behave(values, signal);
    this.batches.push(values);
  }
  close(): Promise<void> {
    this.closed.push(true);
    return Promise.resolve();
  }
}

const never = (_batch: readonly string[], signal: AbortSignal): Promise<void> =>
  new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => {
      reject(new SinkError('SINK_UNAVAILABLE', 'aborted'));
    });
  });

describe('QueuedSink: the bounded buffer every sink shares', () => {
  it('attack: a flood while the receiver hangs keeps at most bufferSize events and reports the drops once per burst', async () => {
    const reports: SinkReport[] = [];
    const sink = new QueuedSink('test', new ScriptedTransport(never), { batchSize: 10, batchDelayMs: 0 }, { bufferSize: 1_000, closeTimeoutMs: 0, events: (report) => reports.push(report) });
    for (let i = 0; i < 100_000; i += 1) sink.write(event(i));
    expect(sink.stats()).toEqual({ sent: 0, dropped: 99_000, failed: 0, buffered: 1_000 });
    await Promise.resolve();
    expect(reports).toEqual([{ type: 'audit.sink.dropped', sink: 'test', count: 99_000, total: 99_000 }]);
    sink.write(event(0));
    await Promise.resolve();
    expect(reports.at(-1)).toEqual({ type: 'audit.sink.dropped', sink: 'test', count: 1, total: 99_001 });
    await sink.close();
    expect(sink.stats()).toEqual({ sent: 0, dropped: 99_001, failed: 1_000, buffered: 0 });
  });

  it('delivers in write order, in batches of batchSize, and closes the transport once', async () => {
    const transport = new ScriptedTransport();
    const sink = new QueuedSink('test', transport, { batchSize: 2, batchDelayMs: 0 });
    for (let i = 0; i < 5; i += 1) sink.write(event(i));
    await sink.close();
    await sink.close();
    expect(transport.batches.flat().map((value) => (JSON.parse(value) as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
    expect(transport.batches.every((batch) => batch.length <= 2)).toBe(true);
    expect(transport.closed).toEqual([true]);
    expect(sink.stats()).toEqual({ sent: 5, dropped: 0, failed: 0, buffered: 0 });
  });

  it('retries a transient failure with the same batch, then moves on', async () => {
    let calls = 0;
    const transport = new ScriptedTransport(() => {
      calls += 1;
      return calls <= 2 ? Promise.reject(new Error('reset')) : Promise.resolve();
    });
    const sink = new QueuedSink('test', transport, { batchSize: 10, batchDelayMs: 0 }, { retryInitialMs: 1, retryMaxMs: 2 });
    sink.write(event(1));
    await sink.flush();
    expect(calls).toBe(3);
    expect(sink.stats()).toEqual({ sent: 1, dropped: 0, failed: 0, buffered: 0 });
    await sink.close();
  });

  it('attack: an event changed after write() is sent as it was written (the buffer holds a snapshot)', async () => {
    const transport = new ScriptedTransport();
    const sink = new QueuedSink('test', transport, { batchSize: 10, batchDelayMs: 0 });
    const attributes: Record<string, string | number> = { n: 1, note: 'denied' };
    sink.write({ type: 'authz.denied', at, attributes });
    attributes.note = 'allowed';
    await sink.close();
    expect(transport.batches).toEqual([['{"n":1,"note":"denied"}']]);
  });

  it('never throws into the caller: an unencodable event fails alone, a throwing report listener is ignored', async () => {
    const transport = new ScriptedTransport();
    const sink = new QueuedSink('test', transport, { batchSize: 10, batchDelayMs: 0 }, {
      events: () => {
        throw new Error('listener bug');
      },
    });
    expect(() => {
      sink.write(event(1, 'unencodable'));
      sink.write(event(2));
    }).not.toThrow();
    await sink.close();
    expect(sink.stats()).toEqual({ sent: 1, dropped: 0, failed: 1, buffered: 0 });
  });

  it('flush() gives up after flushTimeoutMs when the receiver is down; the events stay buffered', async () => {
    const sink = new QueuedSink('test', new ScriptedTransport(never), { batchSize: 10, batchDelayMs: 0 }, { flushTimeoutMs: 10, closeTimeoutMs: 0 });
    sink.write(event(1));
    await sink.flush();
    expect(sink.stats()).toEqual({ sent: 0, dropped: 0, failed: 0, buffered: 1 });
    await sink.close();
    expect(sink.stats()).toEqual({ sent: 0, dropped: 0, failed: 1, buffered: 0 });
  });

  it('refuses unsafe configuration at construction', () => {
    const transport = new ScriptedTransport();
    expect(() => new QueuedSink('test', transport, { batchSize: 1, batchDelayMs: 0 }, { bufferSize: 0 })).toThrow(/bufferSize/);
    expect(() => new QueuedSink('test', transport, { batchSize: 1, batchDelayMs: 0 }, { bufferSize: 1.5 })).toThrow(/bufferSize/);
    expect(() => new QueuedSink('test', transport, { batchSize: 1, batchDelayMs: 0 }, { retryInitialMs: 100, retryMaxMs: 10 })).toThrow(/retryMaxMs/);
  });
});

describe('backoffMs', () => {
  it('doubles per attempt up to the ceiling, with jitter in the upper half', () => {
    for (let attempt = 1; attempt <= 20; attempt += 1) {
      const ceiling = Math.min(1_000, 10 * 2 ** (attempt - 1));
      for (let i = 0; i < 20; i += 1) {
        const delay = backoffMs(attempt, 10, 1_000);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
    const samples = new Set(Array.from({ length: 50 }, () => backoffMs(10, 10, 1_000)));
    expect(samples.size).toBeGreaterThan(1);
  });
});
