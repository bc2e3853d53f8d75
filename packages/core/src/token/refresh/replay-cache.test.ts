import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { ConfigurationError } from '../../errors.js';
import { MemoryReplayCache } from './replay-cache.js';

const MINUTE = 60_000;

describe('MemoryReplayCache', () => {
  it('attack: the same key presented twice is refused the second time', async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache({ clock });
    expect(await cache.checkAndRemember('totp:user-1:123456', clock.now() + MINUTE)).toBe(true);
    expect(await cache.checkAndRemember('totp:user-1:123456', clock.now() + MINUTE)).toBe(false);
    clock.advance(MINUTE - 1);
    expect(await cache.checkAndRemember('totp:user-1:123456', clock.now() + MINUTE)).toBe(false);
    expect(await cache.checkAndRemember('totp:user-2:123456', clock.now() + MINUTE)).toBe(true);
  });

  it('attack: concurrent checks of one key: exactly one is first', async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache({ clock });
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.checkAndRemember('challenge-x', clock.now() + MINUTE)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('forgets a key once it expires, and evicts expired entries', async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache({ clock });
    for (let i = 0; i < 50; i += 1) await cache.checkAndRemember(`k${i}`, clock.now() + MINUTE);
    expect(cache.size).toBe(50);
    clock.advance(MINUTE);
    expect(await cache.checkAndRemember('k0', clock.now() + MINUTE)).toBe(true);
    for (let i = 0; i < 20; i += 1) await cache.checkAndRemember(`fresh${i}`, clock.now() + MINUTE);
    expect(cache.size).toBeLessThan(50);
  });

  it('attack: a full cache refuses new keys instead of evicting live ones (no replay by flooding)', async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache({ clock, maxEntries: 3 });
    expect(await cache.checkAndRemember('victim', clock.now() + 10 * MINUTE)).toBe(true);
    expect(await cache.checkAndRemember('flood-1', clock.now() + MINUTE)).toBe(true);
    expect(await cache.checkAndRemember('flood-2', clock.now() + MINUTE)).toBe(true);
    expect(await cache.checkAndRemember('flood-3', clock.now() + MINUTE)).toBe(false);
    expect(await cache.checkAndRemember('victim', clock.now() + 10 * MINUTE)).toBe(false);
    expect(cache.size).toBe(3);
    clock.advance(MINUTE);
    // The expired flood entries are swept when room is needed; the live victim entry stays.
    expect(await cache.checkAndRemember('new', clock.now() + MINUTE)).toBe(true);
    expect(await cache.checkAndRemember('victim', clock.now() + 10 * MINUTE)).toBe(false);
  });

  it('refuses already-expired entries, bad keys and bad expiries (fail closed, never throws)', async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache({ clock, maxKeyLength: 16 });
    expect(await cache.checkAndRemember('k', clock.now())).toBe(false);
    expect(await cache.checkAndRemember('k', Number.NaN)).toBe(false);
    expect(await cache.checkAndRemember('k', Number.POSITIVE_INFINITY)).toBe(false);
    expect(await cache.checkAndRemember('', clock.now() + MINUTE)).toBe(false);
    expect(await cache.checkAndRemember('x'.repeat(17), clock.now() + MINUTE)).toBe(false);
    expect(await cache.checkAndRemember(42 as unknown as string, clock.now() + MINUTE)).toBe(false);
    expect(await cache.checkAndRemember('k', '1' as unknown as number)).toBe(false);
    expect(cache.size).toBe(0);
    expect(() => new MemoryReplayCache({ maxEntries: 0 })).toThrow(ConfigurationError);
  });
});
