import { ManualClock } from '@rampart/core';
import { MemoryRateLimitStore, type RateDecision, type RateLimitStore, type RatePolicy } from '@rampart/core/ratelimit';
import { describe, expect, it } from 'vitest';
import { ClientAuthThrottle } from './events.js';

/** A real memory store behind a slow network: every decision arrives `delayMs` later, as from a distant Redis. */
function slowStore(inner: RateLimitStore, delayMs: number): RateLimitStore {
  return {
    consume: async (key: string, cost: number, policy: RatePolicy): Promise<RateDecision> => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return inner.consume(key, cost, policy);
    },
    reset: (key: string) => inner.reset(key),
  };
}

describe('ClientAuthThrottle', () => {
  it('attack: a guesser sending one request after another cannot slip in while the store is still counting its failures', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 1));
    const throttle = new ClientAuthThrottle({ store: slowStore(new MemoryRateLimitStore({ clock }), 20), clock });
    for (let attempt = 0; attempt < 10; attempt++) {
      expect(await throttle.admit('198.51.100.7')).toBeUndefined();
      // The provider reports the failure through an event and answers at once: the count is not awaited.
      void throttle.fail('198.51.100.7');
    }
    // The eleventh request arrives before the store has answered for the tenth failure: it still waits for it.
    const refused = await throttle.admit('198.51.100.7');
    expect(refused?.status).toBe(429);
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(0);
    // Another address is not held back.
    expect(await throttle.admit('198.51.100.8')).toBeUndefined();
    clock.advance(61_000);
    expect(await throttle.admit('198.51.100.7')).toBeUndefined();
  });

  it('a store that fails to count does not wedge the address', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 1));
    const broken: RateLimitStore = { consume: () => Promise.reject(new Error('redis down')), reset: () => undefined };
    const throttle = new ClientAuthThrottle({ store: broken, clock });
    await expect(throttle.fail('203.0.113.9')).rejects.toThrow('redis down');
    expect(await throttle.admit('203.0.113.9')).toBeUndefined();
  });
});
