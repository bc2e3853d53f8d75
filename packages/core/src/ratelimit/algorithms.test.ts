import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { ConfigurationError } from '../errors.js';
import { MemoryRateLimitStore } from './memory-store.js';
import { backoff, gcra, slidingWindow } from './policy.js';

describe('GCRA', () => {
  it('admits a burst of exactly `limit`, then refuses with the exact wait', () => {
    const clock = new ManualClock();
    const store = new MemoryRateLimitStore({ clock });
    const policy = gcra(10, 60); // one request every 6 s sustained
    for (let i = 0; i < 10; i++) {
      const decision = store.consume('k', 1, policy);
      expect(decision).toEqual({ allowed: true, limit: 10, remaining: 9 - i, resetSeconds: 6 * (i + 1) });
    }
    expect(store.consume('k', 1, policy)).toEqual({ allowed: false, limit: 10, remaining: 0, resetSeconds: 60, retryAfterSeconds: 6 });
    clock.advance(5_999);
    expect(store.consume('k', 1, policy).allowed).toBe(false);
    clock.advance(1);
    expect(store.consume('k', 1, policy)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('sustains exactly limit per period once the burst is spent', () => {
    const clock = new ManualClock();
    const store = new MemoryRateLimitStore({ clock });
    const policy = gcra(5, 1); // 200 ms emission interval
    let admitted = 0;
    for (let ms = 0; ms < 10_000; ms += 10) {
      if (store.consume('k', 1, policy).allowed) admitted++;
      clock.advance(10);
    }
    // Burst of 5 plus one per 200 ms over 10 s (the first interval is covered by the burst).
    expect(admitted).toBe(5 + 49);
  });

  it('charges per-request cost, and refuses a cost above the limit without consuming', () => {
    const store = new MemoryRateLimitStore({ clock: new ManualClock() });
    const policy = gcra(10, 10);
    expect(store.consume('k', 7, policy)).toMatchObject({ allowed: true, remaining: 3 });
    expect(store.consume('k', 4, policy)).toMatchObject({ allowed: false, remaining: 3, retryAfterSeconds: 1 });
    expect(store.consume('k', 11, policy)).toMatchObject({ allowed: false, retryAfterSeconds: 10 });
    expect(store.consume('k', 3, policy)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('a clock that goes backwards grants no credit', () => {
    const clock = new ManualClock();
    const store = new MemoryRateLimitStore({ clock });
    const policy = gcra(2, 60);
    store.consume('k', 2, policy);
    clock.advance(-3_600_000);
    expect(store.consume('k', 1, policy).allowed).toBe(false);
  });

  it('property: over any schedule, admitted ≤ limit + elapsed × limit / period, and a spaced-out client is never refused', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 120 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 1, max: 5 })), { maxLength: 200 }),
        (limit, periodSeconds, schedule) => {
          const clock = new ManualClock(0);
          const store = new MemoryRateLimitStore({ clock });
          const policy = gcra(limit, periodSeconds);
          let admitted = 0;
          for (const [gap, cost] of schedule) {
            clock.advance(gap);
            if (store.consume('k', cost, policy).allowed) admitted += cost;
            expect(admitted).toBeLessThanOrEqual(limit + Math.floor((clock.now() * limit) / (periodSeconds * 1000)));
          }
          const spaced = new MemoryRateLimitStore({ clock });
          for (let i = 0; i < 20; i++) {
            expect(spaced.consume('s', 1, policy).allowed).toBe(true);
            clock.advance(Math.ceil((periodSeconds * 1000) / limit));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('sliding window', () => {
  it('never admits more than limit within one fixed window, and weights the previous window', () => {
    const clock = new ManualClock(0);
    const store = new MemoryRateLimitStore({ clock });
    const policy = slidingWindow(10, 60);
    for (let i = 0; i < 10; i++) expect(store.consume('k', 1, policy).allowed).toBe(true);
    // Full in this window; in the next, the 10 must slide down to 9: 60 s + 6 s.
    expect(store.consume('k', 1, policy)).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 66 });
    // 15 s into the next window the previous 10 weigh 10 × 45/60 = 7.5: two more fit, the third does not.
    clock.set(75_000);
    expect(store.consume('k', 1, policy)).toMatchObject({ allowed: true, remaining: 1 });
    expect(store.consume('k', 1, policy)).toMatchObject({ allowed: true, remaining: 0 });
    expect(store.consume('k', 1, policy).allowed).toBe(false);
    // Two windows later everything is forgotten.
    clock.set(180_000);
    expect(store.consume('k', 10, policy).allowed).toBe(true);
  });

  it('property: no fixed window ever admits more than limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4_000 }), fc.integer({ min: 1, max: 3 })), { maxLength: 200 }),
        (limit, schedule) => {
          const clock = new ManualClock(0);
          const store = new MemoryRateLimitStore({ clock });
          const policy = slidingWindow(limit, 10);
          const perWindow = new Map<number, number>();
          for (const [gap, cost] of schedule) {
            clock.advance(gap);
            const decision = store.consume('k', cost, policy);
            if (decision.allowed) {
              const window = Math.floor(clock.now() / 10_000);
              perWindow.set(window, (perWindow.get(window) ?? 0) + cost);
              expect(perWindow.get(window)).toBeLessThanOrEqual(limit);
            } else {
              expect(decision.retryAfterSeconds).toBeGreaterThanOrEqual(1);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('waiting retry-after is enough for the refused request', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 9_999 }), fc.integer({ min: 0, max: 40 }), (limit, offset, burst) => {
        const clock = new ManualClock(offset);
        const store = new MemoryRateLimitStore({ clock });
        const policy = slidingWindow(limit, 10);
        let refused;
        for (let i = 0; i < burst + limit && refused === undefined; i++) {
          const decision = store.consume('k', 1, policy);
          if (!decision.allowed) refused = decision;
          clock.advance(100);
        }
        if (refused === undefined) return;
        clock.advance((refused.retryAfterSeconds ?? 0) * 1000 - 100);
        expect(store.consume('k', 1, policy).allowed).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('back-off', () => {
  it('delays progressively after the free attempts, then locks, then forgets', () => {
    const clock = new ManualClock(0);
    const store = new MemoryRateLimitStore({ clock });
    const policy = backoff({ freeAttempts: 2, delaysSeconds: [1, 4], limit: 5, lockSeconds: 60, forgetSeconds: 600 });
    expect(store.consume('a', 1, policy)).toMatchObject({ allowed: true, remaining: 4 });
    expect(store.consume('a', 1, policy)).toMatchObject({ allowed: true, remaining: 3 });
    expect(store.consume('a', 1, policy)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    clock.advance(1_000);
    expect(store.consume('a', 1, policy)).toMatchObject({ allowed: true, remaining: 2 });
    expect(store.consume('a', 1, policy)).toMatchObject({ allowed: false, retryAfterSeconds: 4 });
    clock.advance(4_000);
    expect(store.consume('a', 1, policy).allowed).toBe(true);
    clock.advance(4_000);
    expect(store.consume('a', 1, policy)).toMatchObject({ allowed: true, remaining: 0 });
    expect(store.consume('a', 1, policy)).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 60 });
    clock.advance(59_999);
    expect(store.consume('a', 1, policy).allowed).toBe(false);
    clock.advance(1);
    // After the lock, one attempt, and it locks again.
    expect(store.consume('a', 1, policy)).toMatchObject({ allowed: true, remaining: 0 });
    expect(store.consume('a', 1, policy).allowed).toBe(false);
    clock.advance(600_001 + 60_000);
    expect(store.consume('a', 1, policy)).toMatchObject({ allowed: true, remaining: 4 });
  });
});

describe('policy validation', () => {
  it('rejects limits and periods that cannot be counted exactly', () => {
    for (const make of [
      () => gcra(0, 1),
      () => gcra(1.5, 1),
      () => gcra(10, 0),
      () => gcra(10, 0.0001),
      () => gcra(10, Number.NaN),
      () => gcra(2 ** 30, 2 ** 30),
      () => slidingWindow(-1, 10),
      () => backoff({ freeAttempts: 5, delaysSeconds: [1], limit: 5, lockSeconds: 10, forgetSeconds: 10 }),
      () => backoff({ freeAttempts: 1, delaysSeconds: [100], limit: 5, lockSeconds: 10, forgetSeconds: 10 }),
    ]) {
      expect(make).toThrow(ConfigurationError);
    }
    const store = new MemoryRateLimitStore();
    expect(() => store.consume('k', 0, gcra(1, 1))).toThrow(ConfigurationError);
    expect(() => store.consume('k', 1, { algorithm: 'gcra', limit: 1, periodSeconds: -1 })).toThrow(ConfigurationError);
  });
});
