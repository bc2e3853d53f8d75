import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { MemoryTotpReplayStore } from './replay-store.js';

describe('MemoryTotpReplayStore', () => {
  it('accepts only strictly increasing steps per key', async () => {
    const store = new MemoryTotpReplayStore();
    expect(await store.acceptStep('a', 10, Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(await store.acceptStep('a', 10, Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(await store.acceptStep('a', 9, Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(await store.acceptStep('b', 9, Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(await store.acceptStep('a', 11, Number.MAX_SAFE_INTEGER)).toBe(true);
  });

  it('concurrent accepts of one step: exactly one wins', async () => {
    const store = new MemoryTotpReplayStore();
    const results = await Promise.all(Array.from({ length: 50 }, () => store.acceptStep('a', 5, Number.MAX_SAFE_INTEGER)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('sweeps records past retainUntil and keeps the others', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryTotpReplayStore({ clock, sweepEvery: 3 });
    await store.acceptStep('old', 1, 1_000);
    await store.acceptStep('fresh', 1, 10_000);
    clock.set(5_000);
    await store.acceptStep('new', 1, 10_000); // third write triggers the sweep
    expect(store.size).toBe(2);
    expect(await store.acceptStep('fresh', 1, 10_000)).toBe(false);
  });
});
