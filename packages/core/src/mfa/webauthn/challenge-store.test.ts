import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { ConfigurationError } from '../../errors.js';
import { InMemoryWebAuthnChallengeStore, type StoredWebAuthnChallenge } from './challenge-store.js';

const record = (expiresAt: number): StoredWebAuthnChallenge => ({ kind: 'authentication', challenge: 'c', expiresAt });

describe('InMemoryWebAuthnChallengeStore', () => {
  it('ATTACK: a challenge can be taken once; concurrent takes get it at most once', async () => {
    const clock = new ManualClock();
    const store = new InMemoryWebAuthnChallengeStore({ clock });
    await store.put('ceremony', record(clock.now() + 1000));
    const taken = await Promise.all([store.take('ceremony'), store.take('ceremony'), store.take('ceremony')]);
    expect(taken.filter((r) => r !== undefined)).toHaveLength(1);
    expect(await store.take('ceremony')).toBeUndefined();
  });

  it('stores a copy, so the caller cannot change a pending record afterwards', async () => {
    const store = new InMemoryWebAuthnChallengeStore();
    const mutable = { kind: 'registration' as const, challenge: 'c', userId: 'a', expiresAt: Number.MAX_SAFE_INTEGER };
    await store.put('x', mutable);
    mutable.userId = 'b';
    expect((await store.take('x'))?.userId).toBe('a');
  });

  it('sweeps expired records and bounds the number of pending ceremonies', async () => {
    const clock = new ManualClock();
    const store = new InMemoryWebAuthnChallengeStore({ clock, maxEntries: 3 });
    await store.put('old', record(clock.now() + 10));
    clock.advance(10);
    await store.put('a', record(clock.now() + 1000));
    expect(store.size).toBe(1);
    await store.put('b', record(clock.now() + 1000));
    await store.put('c', record(clock.now() + 1000));
    await store.put('d', record(clock.now() + 1000));
    expect(store.size).toBe(3);
    expect(await store.take('a')).toBeUndefined();
    expect(await store.take('d')).toBeDefined();
  });

  it('refuses a useless capacity', () => {
    expect(() => new InMemoryWebAuthnChallengeStore({ maxEntries: 0 })).toThrow(ConfigurationError);
  });
});
