import { availableParallelism } from 'node:os';
import { ConfigurationError, RampartError } from '../errors.js';

/**
 * Thrown (as a rejected promise) when a {@link Bulkhead} is at its concurrency limit and its queue is full. The work
 * was not started and never will be: the caller should answer 503 with `Retry-After: retryAfterSeconds`.
 */
export class BulkheadFullError extends RampartError {
  /** A hint for `Retry-After`: roughly how long the work already admitted takes to drain, in whole seconds (≥ 1). */
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number, code = 'BULKHEAD_FULL', message = 'too many concurrent operations; retry later') {
    super(code, message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface BulkheadOptions {
  /** Operations running at once. Default `os.availableParallelism()`. */
  readonly concurrency?: number;
  /** Operations allowed to wait for a slot; beyond this, {@link Bulkhead.run} rejects at once. Default `8 × concurrency`. */
  readonly queue?: number;
  /** Builds the error a refused call rejects with. Default: a {@link BulkheadFullError}. */
  readonly createError?: (retryAfterSeconds: number) => Error;
  /** Called once for each refused call (to emit a security event, count a metric). Must not throw. */
  readonly onReject?: (state: { readonly active: number; readonly queued: number }) => void;
}

interface Waiter {
  readonly start: () => void;
}

/** Weight of the newest sample in the moving average of operation durations. */
const EWMA_WEIGHT = 0.2;

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new ConfigurationError(`bulkhead ${name} must be an integer ≥ ${min}`);
  return value;
}

/**
 * Bounded concurrency plus a bounded waiting queue, for work that is expensive per call (password hashing).
 *
 * Protects against resource exhaustion by request floods: at most `concurrency` operations run, at most `queue` wait,
 * and every call beyond that is refused immediately with a typed error carrying a `Retry-After` hint, instead of piling
 * up unbounded promises, memory and latency until the process falls over. Refusing is cheap (no work is started).
 */
export class Bulkhead {
  readonly concurrency: number;
  readonly maxQueue: number;
  readonly #waiters: Waiter[] = [];
  readonly #createError: (retryAfterSeconds: number) => Error;
  readonly #onReject: ((state: { readonly active: number; readonly queued: number }) => void) | undefined;
  #active = 0;
  /** Moving average of how long one operation takes, in ms; 0 until the first one finishes. */
  #meanMs = 0;

  constructor(options: BulkheadOptions = {}) {
    this.concurrency = checkCount('concurrency', options.concurrency ?? availableParallelism(), 1);
    this.maxQueue = checkCount('queue', options.queue ?? 8 * this.concurrency, 0);
    this.#createError = options.createError ?? ((seconds) => new BulkheadFullError(seconds));
    this.#onReject = options.onReject;
  }

  /** Operations running now. */
  get active(): number {
    return this.#active;
  }

  /** Operations waiting for a slot. */
  get queued(): number {
    return this.#waiters.length;
  }

  /**
   * Seconds until the work admitted so far has likely drained: the mean operation time × (running + waiting) ÷
   * concurrency, rounded up, at least 1.
   */
  retryAfterSeconds(): number {
    const backlog = this.#active + this.#waiters.length;
    return Math.max(1, Math.ceil((this.#meanMs * backlog) / this.concurrency / 1000));
  }

  /**
   * Runs `fn` when a slot is free. Rejects at once, without calling `fn`, when all slots are busy and the queue is
   * full. An `signal` that aborts while the call waits removes it from the queue (rejecting with the signal's reason).
   */
  run<T>(fn: () => T | Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    if (this.#active < this.concurrency) return this.#execute(fn);
    if (this.#waiters.length >= this.maxQueue) {
      this.#onReject?.({ active: this.#active, queued: this.#waiters.length });
      return Promise.reject(this.#createError(this.retryAfterSeconds()));
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(signal?.reason as Error);
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.#execute(fn).then(resolve, reject);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  async #execute<T>(fn: () => T | Promise<T>): Promise<T> {
    this.#active += 1;
    const started = performance.now();
    try {
      return await fn();
    } finally {
      const elapsed = performance.now() - started;
      this.#meanMs = this.#meanMs === 0 ? elapsed : this.#meanMs + EWMA_WEIGHT * (elapsed - this.#meanMs);
      this.#active -= 1;
      this.#waiters.shift()?.start();
    }
  }
}
