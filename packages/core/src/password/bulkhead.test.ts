import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { Bulkhead, BulkheadFullError } from './bulkhead.js';
import { tick } from './testing.fixtures.js';

/** A task the test finishes by hand. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('Bulkhead', () => {
  it('defaults to os.availableParallelism() slots and 8 × that many queue places', () => {
    const bulkhead = new Bulkhead();
    expect(bulkhead.concurrency).toBe(availableParallelism());
    expect(bulkhead.maxQueue).toBe(8 * availableParallelism());
  });

  it('runs at most `concurrency` at once, queues up to `queue`, and refuses the rest at once without calling them', async () => {
    const bulkhead = new Bulkhead({ concurrency: 2, queue: 3 });
    const gates = Array.from({ length: 5 }, () => deferred());
    let running = 0;
    let peak = 0;
    let calls = 0;
    const task = (i: number) => async (): Promise<number> => {
      calls += 1;
      running += 1;
      peak = Math.max(peak, running);
      await gates[i]!.promise;
      running -= 1;
      return i;
    };
    const accepted = [0, 1, 2, 3, 4].map((i) => bulkhead.run(task(i)));
    const refused = bulkhead.run(() => {
      calls += 1;
      return -1;
    });
    await expect(refused).rejects.toBeInstanceOf(BulkheadFullError);
    expect(bulkhead.active).toBe(2);
    expect(bulkhead.queued).toBe(3);
    expect(calls).toBe(2);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(accepted)).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
    expect(calls).toBe(5);
    expect(bulkhead.active + bulkhead.queued).toBe(0);
  });

  it('starts queued work in arrival order', async () => {
    const bulkhead = new Bulkhead({ concurrency: 1, queue: 10 });
    const order: number[] = [];
    const first = deferred();
    const runs = [bulkhead.run(() => first.promise)];
    for (let i = 1; i <= 5; i += 1) runs.push(bulkhead.run(() => void order.push(i)));
    first.resolve();
    await Promise.all(runs);
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });

  it('frees the slot when a task throws or rejects, and passes the error through', async () => {
    const bulkhead = new Bulkhead({ concurrency: 1, queue: 0 });
    await expect(
      bulkhead.run(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(bulkhead.run(() => Promise.reject(new Error('async')))).rejects.toThrow('async');
    expect(await bulkhead.run(() => 'still works')).toBe('still works');
  });

  it('an aborted waiter leaves the queue', async () => {
    const bulkhead = new Bulkhead({ concurrency: 1, queue: 1 });
    const busy = deferred();
    const running = bulkhead.run(() => busy.promise);
    const controller = new AbortController();
    let called = false;
    const waiting = bulkhead.run(() => {
      called = true;
    }, controller.signal);
    expect(bulkhead.queued).toBe(1);
    controller.abort(new Error('client went away'));
    await expect(waiting).rejects.toThrow('client went away');
    expect(bulkhead.queued).toBe(0);
    busy.resolve();
    await running;
    await tick();
    expect(called).toBe(false);
    await expect(bulkhead.run(() => 1, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('hints Retry-After from the mean task time and the backlog, never below 1 s', async () => {
    const bulkhead = new Bulkhead({ concurrency: 1, queue: 0 });
    expect(bulkhead.retryAfterSeconds()).toBe(1);
    const busy = deferred();
    const running = bulkhead.run(() => busy.promise);
    const error = await bulkhead.run(() => 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BulkheadFullError);
    expect(error).toMatchObject({ code: 'BULKHEAD_FULL', retryAfterSeconds: 1 });
    busy.resolve();
    await running;
  });

  it('the Retry-After hint grows with the backlog and the measured task time', async () => {
    const bulkhead = new Bulkhead({ concurrency: 1, queue: 100 });
    await bulkhead.run(() => new Promise((resolve) => setTimeout(resolve, 30))); // mean ≈ 30 ms
    const busy = deferred();
    const admitted = [bulkhead.run(() => busy.promise), ...Array.from({ length: 100 }, () => bulkhead.run(() => undefined))];
    // 101 operations of ≈ 30 ms on one slot ≈ 3 s to drain.
    const error = (await bulkhead.run(() => 1).catch((e: unknown) => e)) as BulkheadFullError;
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(3);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(10);
    busy.resolve();
    await Promise.all(admitted);
  });

  it('uses the caller’s error and tells onReject', async () => {
    const rejections: Array<{ active: number; queued: number }> = [];
    const bulkhead = new Bulkhead({
      concurrency: 1,
      queue: 0,
      createError: (seconds) => new BulkheadFullError(seconds, 'MY_CODE'),
      onReject: (state) => rejections.push({ ...state }),
    });
    const busy = deferred();
    const running = bulkhead.run(() => busy.promise);
    await expect(bulkhead.run(() => 1)).rejects.toMatchObject({ code: 'MY_CODE' });
    expect(rejections).toEqual([{ active: 1, queued: 0 }]);
    busy.resolve();
    await running;
  });

  it('refuses nonsense sizes', () => {
    expect(() => new Bulkhead({ concurrency: 0 })).toThrow(ConfigurationError);
    expect(() => new Bulkhead({ concurrency: 1.5 })).toThrow(ConfigurationError);
    expect(() => new Bulkhead({ queue: -1 })).toThrow(ConfigurationError);
  });
});
