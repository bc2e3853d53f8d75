import { describe, expect, it } from 'vitest';
import { MemorySessionStore } from './memory-store.js';
import type { SessionRecord } from './types.js';

const NOW = 1_000_000;

function record(key: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    key,
    handle: `h-${key}`,
    data: {},
    createdAt: NOW,
    lastSeenAt: NOW,
    idleExpiresAt: NOW + 1000,
    absoluteExpiresAt: NOW + 5000,
    ...overrides,
  };
}

describe('MemorySessionStore', () => {
  it('attack: a touch racing a revocation does not resurrect the session', async () => {
    const store = new MemorySessionStore();
    await store.insert(record('k'), { now: NOW });
    await store.revoke('k', NOW);
    expect(await store.touch('k', NOW + 10, NOW + 2000)).toBe(false);
    expect((await store.get('k'))?.revokedAt).toBe(NOW);
  });

  it('touch never moves deadlines backwards and never past the absolute deadline', async () => {
    const store = new MemorySessionStore();
    await store.insert(record('k'), { now: NOW });
    await store.touch('k', NOW + 500, NOW + 1500);
    await store.touch('k', NOW + 100, NOW + 1100); // a slower, older request lands last
    expect(await store.get('k')).toMatchObject({ lastSeenAt: NOW + 500, idleExpiresAt: NOW + 1500 });
    await store.touch('k', NOW + 600, NOW + 99_999);
    expect((await store.get('k'))?.idleExpiresAt).toBe(NOW + 5000);
  });

  it('attack: two rotations of one id never both succeed (no forked session)', async () => {
    const store = new MemorySessionStore();
    await store.insert(record('old'), { now: NOW });
    const [a, b] = await Promise.all([
      store.insert(record('new-a'), { now: NOW, replaces: 'old' }),
      store.insert(record('new-b'), { now: NOW, replaces: 'old' }),
    ]);
    expect([a.inserted, b.inserted].sort()).toEqual([false, true]);
    expect(await store.insert(record('new-c'), { now: NOW, replaces: 'missing' })).toEqual({ inserted: false, reason: 'stale' });
  });

  it('a refused insert changes nothing (atomic): the replaced session stays alive', async () => {
    const store = new MemorySessionStore();
    const limit = { max: 1, policy: 'refuse-new' } as const;
    await store.insert(record('u1', { userId: 'u' }), { now: NOW, limit });
    await store.insert(record('anon'), { now: NOW });
    expect(await store.insert(record('u2', { userId: 'u' }), { now: NOW, replaces: 'anon', limit })).toEqual({
      inserted: false,
      reason: 'limit',
    });
    expect((await store.get('anon'))?.revokedAt).toBeUndefined();
    expect(await store.get('u2')).toBeUndefined();
  });

  it('attack: an anonymous-session flood is bounded by maxRecords', async () => {
    const store = new MemorySessionStore({ maxRecords: 3 });
    for (const key of ['a', 'b', 'c']) expect((await store.insert(record(key), { now: NOW })).inserted).toBe(true);
    expect(await store.insert(record('d'), { now: NOW })).toEqual({ inserted: false, reason: 'capacity' });
    // Once the old ones expire, room is made again.
    expect((await store.insert(record('e', { idleExpiresAt: NOW + 9000, absoluteExpiresAt: NOW + 9000 }), { now: NOW + 2000 })).inserted).toBe(true);
    expect(store.size).toBe(1);
  });

  it('deleteExpired drops expired records and keeps live ones', async () => {
    const store = new MemorySessionStore();
    await store.insert(record('a', { userId: 'u' }), { now: NOW });
    await store.insert(record('b', { idleExpiresAt: NOW + 4000 }), { now: NOW });
    expect(await store.deleteExpired(NOW + 1000)).toBe(1);
    expect(await store.get('a')).toBeUndefined();
    expect(await store.listUser('u')).toEqual([]);
    expect(await store.get('b')).toBeDefined();
  });

  it('refuses a bad maxRecords', () => {
    expect(() => new MemorySessionStore({ maxRecords: 0 })).toThrow(/maxRecords/);
  });
});
