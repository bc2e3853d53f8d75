import { randomInt } from 'node:crypto';
import type { SecurityEvent } from '../../events.js';
import { SinkError } from './errors.js';
import { whole } from './options.js';
import { DEFAULT_BUFFER_SIZE, type AuditSink, type SinkOptions, type SinkReport, type SinkStats } from './sink.js';

/** One buffered, already encoded event and its position in the sink's write order (an idempotency key on retries). */
export interface QueuedEvent<T> {
  readonly value: T;
  readonly id: number;
}

/** The wire side of a sink: sends one batch, in order, and resolves only when the receiver took all of it. */
export interface Transport<T> {
  /**
   * Encodes an event when it is written: the buffer holds a snapshot, so an event object changed after `write()` cannot
   * change what is sent, and an event that cannot be encoded fails alone instead of poisoning a batch.
   */
  encode(event: SecurityEvent): T;
  /** Rejects with `SinkError('SINK_REJECTED')` for a permanent refusal; any other rejection is retried. */
  deliver(batch: readonly QueuedEvent<T>[], signal: AbortSignal): Promise<void>;
  /** Drops connections; called once, after the delivery loop stopped. */
  close(): Promise<void>;
}

/** Batching of a sink: how many events go out together, and how long a partial batch may wait for more. */
export interface Batching {
  readonly batchSize: number;
  readonly batchDelayMs: number;
}

/** Exponential backoff with jitter (half fixed, half random), so many clients recovering together do not stampede. */
export function backoffMs(attempt: number, initialMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
  const half = Math.floor(ceiling / 2);
  return half + randomInt(0, ceiling - half + 1);
}

/** A timer that can be cut short; unref'd, so a sink waiting to retry never keeps the process alive. */
class Pause {
  #timer: NodeJS.Timeout | undefined;
  #resolve: (() => void) | undefined;

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#resolve = resolve;
      this.#timer = setTimeout(() => {
        this.wake();
      }, ms);
      this.#timer.unref();
    });
  }

  wake(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.();
  }
}

/**
 * The bounded buffer and delivery loop every sink shares. Protects the request path: `write()` is O(1), synchronous
 * and cannot throw; a dead or slow receiver only fills the buffer, after which events are dropped and counted, so
 * memory never exceeds `bufferSize` events however long the outage lasts.
 */
export class QueuedSink<T> implements AuditSink {
  readonly name: string;
  readonly #transport: Transport<T>;
  readonly #capacity: number;
  readonly #batching: Batching;
  readonly #options: SinkOptions;
  readonly #retryInitialMs: number;
  readonly #retryMaxMs: number;
  readonly #flushTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  #items: QueuedEvent<T>[] = [];
  #head = 0;
  #written = 0;
  #settled = 0;
  #sent = 0;
  #dropped = 0;
  #failed = 0;
  readonly #unreported = { dropped: 0, failed: 0 };
  #reportScheduled = false;
  #running: Promise<void> | undefined;
  #urgent = 0;
  #closed = false;
  #stopped = false;
  readonly #abort = new AbortController();
  readonly #pause = new Pause();
  #waiters: { target: number; resolve: () => void }[] = [];

  constructor(name: string, transport: Transport<T>, batching: Batching, options: SinkOptions = {}) {
    this.name = options.name ?? name;
    this.#transport = transport;
    this.#batching = batching;
    this.#options = options;
    this.#capacity = whole(name, 'bufferSize', options.bufferSize, DEFAULT_BUFFER_SIZE, 1, 10_000_000);
    this.#retryInitialMs = whole(name, 'retryInitialMs', options.retryInitialMs, 100, 1);
    this.#retryMaxMs = whole(name, 'retryMaxMs', options.retryMaxMs, 30_000, this.#retryInitialMs);
    this.#flushTimeoutMs = whole(name, 'flushTimeoutMs', options.flushTimeoutMs, 5_000, 0);
    this.#closeTimeoutMs = whole(name, 'closeTimeoutMs', options.closeTimeoutMs, 5_000, 0);
  }

  write(event: SecurityEvent): void {
    try {
      if (this.#closed || this.#buffered() >= this.#capacity) {
        this.#lose('dropped', 1);
        return;
      }
      let value: T;
      try {
        value = this.#transport.encode(event);
      } catch {
        this.#lose('failed', 1);
        return;
      }
      this.#items.push({ value, id: this.#written });
      this.#written += 1;
      if (this.#buffered() >= this.#batching.batchSize) this.#pause.wake();
      this.#running ??= this.#run();
    } catch {
      // Nothing a sink does may fail the request that produced the event.
    }
  }

  async flush(): Promise<void> {
    await this.#drain(this.#flushTimeoutMs);
  }

  async close(): Promise<void> {
    if (this.#closed) {
      await this.#running;
      return;
    }
    this.#closed = true;
    await this.#drain(this.#closeTimeoutMs);
    this.#stopped = true;
    this.#abort.abort(new SinkError('SINK_UNAVAILABLE', 'sink closed'));
    this.#pause.wake();
    await this.#running;
    const left = this.#buffered();
    if (left > 0) this.#settle(left, 'failed');
    try {
      await this.#transport.close();
    } catch {
      // Closing a broken connection can fail; there is nothing left to deliver on it.
    }
  }

  stats(): SinkStats {
    return { sent: this.#sent, dropped: this.#dropped, failed: this.#failed, buffered: this.#buffered() };
  }

  /** Read through a method: `close()` flips it while the loop awaits, which flow analysis cannot see. */
  #isStopped(): boolean {
    return this.#stopped;
  }

  #buffered(): number {
    return this.#items.length - this.#head;
  }

  async #drain(timeoutMs: number): Promise<void> {
    const target = this.#written;
    if (this.#settled >= target) return;
    this.#urgent += 1;
    this.#pause.wake();
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve) => {
        this.#waiters.push({ target, resolve });
        timer = setTimeout(resolve, timeoutMs);
      });
    } finally {
      clearTimeout(timer);
      this.#urgent -= 1;
    }
  }

  async #run(): Promise<void> {
    let attempt = 0;
    let lingered = false;
    while (!this.#stopped && this.#buffered() > 0) {
      // A partial batch waits once, up to batchDelayMs, for more events; a full batch, flush or close cuts it short.
      const partial = this.#buffered() < this.#batching.batchSize && this.#urgent === 0 && !this.#closed;
      if (partial && !lingered && this.#batching.batchDelayMs > 0) {
        lingered = true;
        await this.#pause.wait(this.#batching.batchDelayMs);
        continue;
      }
      lingered = false;
      const batch = this.#items.slice(this.#head, this.#head + this.#batching.batchSize);
      try {
        await this.#transport.deliver(batch, this.#abort.signal);
        attempt = 0;
        this.#settle(batch.length, 'sent');
      } catch (error) {
        if (this.#isStopped()) break;
        if (error instanceof SinkError && error.code === 'SINK_REJECTED') {
          attempt = 0;
          this.#settle(batch.length, 'failed');
          continue;
        }
        attempt += 1;
        await this.#pause.wait(backoffMs(attempt, this.#retryInitialMs, this.#retryMaxMs));
      }
    }
    this.#running = undefined;
  }

  #settle(count: number, outcome: 'sent' | 'failed'): void {
    this.#head += count;
    this.#settled += count;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (outcome === 'sent') this.#sent += count;
    else this.#lose('failed', count);
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiting) {
      if (this.#settled >= waiter.target) waiter.resolve();
      else this.#waiters.push(waiter);
    }
  }

  #lose(kind: 'dropped' | 'failed', count: number): void {
    if (kind === 'dropped') this.#dropped += count;
    else this.#failed += count;
    this.#unreported[kind] += count;
    if (this.#options.events === undefined || this.#reportScheduled) return;
    this.#reportScheduled = true;
    queueMicrotask(() => {
      this.#reportScheduled = false;
      this.#report('dropped', this.#dropped);
      this.#report('failed', this.#failed);
    });
  }

  #report(kind: 'dropped' | 'failed', total: number): void {
    const count = this.#unreported[kind];
    if (count === 0) return;
    this.#unreported[kind] = 0;
    const report: SinkReport = { type: `audit.sink.${kind}`, sink: this.name, count, total };
    try {
      this.#options.events?.(report);
    } catch {
      // A throwing listener must not break delivery.
    }
  }
}
