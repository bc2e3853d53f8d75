import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { createChain } from '../http/chain/chain.js';
import { rateLimit } from './guard.js';
import { MemoryRateLimitStore } from './memory-store.js';
import { gcra, slidingWindow } from './policy.js';
import { request, settle } from './testing.fixtures.js';

describe('MemoryRateLimitStore', () => {
  it('exactness: 1,000 concurrent chain runs from one client admit exactly the limit', async () => {
    for (const policy of [gcra(50, 60), slidingWindow(50, 3600)]) {
      const chain = createChain({ guards: [rateLimit({ store: new MemoryRateLimitStore(), policy })] });
      const outcomes = await Promise.all(Array.from({ length: 1000 }, () => settle(chain.run(request('198.51.100.7')))));
      expect(outcomes.filter((outcome) => outcome.verdict.action === 'continue')).toHaveLength(50);
      expect(outcomes.filter((outcome) => outcome.verdict.action === 'deny')).toHaveLength(950);
    }
  });

  it('stays synchronous, so the chain does too', () => {
    const chain = createChain({ guards: [rateLimit({ store: new MemoryRateLimitStore(), policy: gcra(1, 1) })] });
    expect(chain.run(request('198.51.100.7'))).not.toBeInstanceOf(Promise);
  });

  it('attack: a flood of distinct keys cannot grow memory beyond maxKeys', () => {
    const store = new MemoryRateLimitStore({ maxKeys: 1_000 });
    const policy = gcra(5, 60);
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 500 }), (keys) => {
        for (const key of keys) store.consume(key, 1, policy);
        expect(store.size).toBeLessThanOrEqual(1_000);
      }),
    );
    for (let i = 0; i < 50_000; i++) store.consume(`flood-${i}`, 1, policy);
    expect(store.size).toBe(1_000);
  });

  it('evicts the least recently used key, and keeps one that is in active use', () => {
    const clock = new ManualClock();
    const store = new MemoryRateLimitStore({ maxKeys: 3, clock });
    const policy = gcra(1, 60);
    store.consume('victim', 1, policy);
    store.consume('a', 1, policy);
    store.consume('b', 1, policy);
    store.consume('victim', 1, policy); // refused, but touched: now the most recently used
    store.consume('c', 1, policy); // evicts 'a'
    expect(store.consume('victim', 1, policy).allowed).toBe(false);
    expect(store.consume('a', 1, policy).allowed).toBe(true);
  });

  it('attack: a key in active use survives a flood of new keys just short of maxKeys (lazy promotion keeps it recent)', () => {
    const clock = new ManualClock();
    const maxKeys = 800;
    const store = new MemoryRateLimitStore({ maxKeys, clock });
    const policy = gcra(3, 3600);
    // The victim spends its whole quota, then keeps asking between bursts of the attacker's fresh keys.
    for (let i = 0; i < 3; i++) store.consume('victim', 1, policy);
    let flooded = 0;
    // The victim is touched at least once per 1/8 of maxKeys operations: each touch may only move it lazily, yet
    // nothing forgets it, however long the flood goes on.
    for (let burst = 0; burst < 40; burst++) {
      for (let i = 0; i < maxKeys / 8 - 1; i++) store.consume(`flood-${flooded++}`, 1, policy);
      expect(store.consume('victim', 1, policy).allowed).toBe(false);
    }
    expect(flooded).toBeGreaterThan(maxKeys * 4);
    expect(store.size).toBe(maxKeys);
  });

  it('does not keep keys whose only request was refused (a cost above the limit)', () => {
    const store = new MemoryRateLimitStore();
    for (let i = 0; i < 100; i++) store.consume(`k${i}`, 10, gcra(5, 60));
    expect(store.size).toBe(0);
  });

  it('reset forgets a key', () => {
    const store = new MemoryRateLimitStore();
    const policy = gcra(1, 60);
    store.consume('k', 1, policy);
    expect(store.consume('k', 1, policy).allowed).toBe(false);
    store.reset('k');
    expect(store.consume('k', 1, policy).allowed).toBe(true);
  });
});
