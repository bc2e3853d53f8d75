import { randomUUID } from 'node:crypto';
import type { SessionRecord } from '@rampart/core/session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerDatabase } from '../db/database.js';
import { BACKENDS, raceInProcesses, type TestBackend } from './databases.fixtures.js';
import { SqlSessionStore } from './session-store.js';

const NOW = 1_000_000;

function record(key: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    key,
    handle: `h-${key}`,
    data: { cart: [1, 'two'], nested: { ok: true } },
    createdAt: NOW,
    lastSeenAt: NOW,
    idleExpiresAt: NOW + 1000,
    absoluteExpiresAt: NOW + 5000,
    ...overrides,
  };
}

for (const { name, skip, create } of BACKENDS) {
  describe.skipIf(skip)(`SqlSessionStore on ${name}`, () => {
    let backend: TestBackend;
    let database: ServerDatabase;
    let store: SqlSessionStore;
    /** One store per connection: several for PostgreSQL; for SQLite the one connection a process has. */
    let contenders: SqlSessionStore[];
    const key = () => randomUUID();

    beforeAll(async () => {
      backend = await create();
      database = await backend.open();
      store = new SqlSessionStore(database);
      contenders = backend.kind === 'postgres' ? await Promise.all([1, 2, 3, 4].map(async () => new SqlSessionStore(await backend.open()))) : [store, store, store, store];
    });
    afterAll(() => backend.dispose());

    it('round-trips a record, data included, and lists a user’s records', async () => {
      const k = key();
      const user = key();
      expect(await store.insert(record(k, { userId: user }), { now: NOW })).toEqual({ inserted: true, evicted: [] });
      expect(await store.get(k)).toEqual(record(k, { userId: user }));
      expect((await store.listUser(user)).map((r) => r.key)).toEqual([k]);
      expect(await store.get(key())).toBeUndefined();
    });

    it('attack: a touch racing a revocation does not resurrect the session', async () => {
      const k = key();
      await store.insert(record(k), { now: NOW });
      expect(await store.revoke(k, NOW)).toEqual(record(k));
      expect(await store.revoke(k, NOW + 1)).toBeUndefined(); // idempotent: reported once
      expect(await store.touch(k, NOW + 10, NOW + 2000)).toBe(false);
      expect(await store.get(k)).toMatchObject({ revokedAt: NOW, idleExpiresAt: NOW + 1000 });
      expect(await store.touch(key(), NOW, NOW)).toBe(false);
    });

    it('touch never moves deadlines backwards and never past the absolute deadline', async () => {
      const k = key();
      await store.insert(record(k), { now: NOW });
      expect(await store.touch(k, NOW + 500, NOW + 1500)).toBe(true);
      await store.touch(k, NOW + 100, NOW + 1100); // a slower, older request lands last
      expect(await store.get(k)).toMatchObject({ lastSeenAt: NOW + 500, idleExpiresAt: NOW + 1500 });
      await store.touch(k, NOW + 600, NOW + 99_999);
      expect((await store.get(k))?.idleExpiresAt).toBe(NOW + 5000);
    });

    it('attack: concurrent rotations of one id from several connections never both succeed (no forked session)', async () => {
      const old = key();
      await store.insert(record(old), { now: NOW });
      const outcomes = await Promise.all(contenders.map((contender) => contender.insert(record(key()), { now: NOW, replaces: old })));
      expect(outcomes.filter((o) => o.inserted)).toHaveLength(1);
      expect(outcomes.filter((o) => !o.inserted)).toEqual([{ inserted: false, reason: 'stale' }, { inserted: false, reason: 'stale' }, { inserted: false, reason: 'stale' }]);
      expect(await store.insert(record(key()), { now: NOW, replaces: key() })).toEqual({ inserted: false, reason: 'stale' });
    });

    it('attack: concurrent rotations of one id from separate processes: exactly one live successor', async () => {
      const old = key();
      await store.insert(record(old, { idleExpiresAt: NOW + 1_000_000, absoluteExpiresAt: NOW + 1_000_000 }), { now: NOW });
      const successors = [key(), key(), key()];
      const answers = await raceInProcesses(
        backend.location,
        successors.map((k) => ({ op: 'session-rotate', replaces: old, key: k })),
      );
      expect(answers.filter((a) => (a as { inserted?: boolean }).inserted === true)).toHaveLength(1);
      expect(answers.filter((a) => (a as { reason?: string }).reason === 'stale')).toHaveLength(2);
      const written = await Promise.all(successors.map((k) => store.get(k)));
      expect(written.filter((r) => r !== undefined)).toHaveLength(1);
    });

    it('a refused insert changes nothing (atomic): the replaced session stays alive', async () => {
      const user = key();
      const anon = key();
      const limit = { max: 1, policy: 'refuse-new' } as const;
      await store.insert(record(key(), { userId: user }), { now: NOW, limit });
      await store.insert(record(anon), { now: NOW });
      const refused = key();
      expect(await store.insert(record(refused, { userId: user }), { now: NOW, replaces: anon, limit })).toEqual({ inserted: false, reason: 'limit' });
      expect((await store.get(anon))?.revokedAt).toBeUndefined();
      expect(await store.get(refused)).toBeUndefined();
    });

    it('evict-oldest revokes the oldest live sessions and reports them; rotation does not count the replaced one', async () => {
      const user = key();
      const limit = { max: 2, policy: 'evict-oldest' } as const;
      const [a, b, c] = [key(), key(), key()];
      await store.insert(record(a, { userId: user, createdAt: NOW }), { now: NOW, limit });
      await store.insert(record(b, { userId: user, createdAt: NOW + 1 }), { now: NOW, limit });
      const outcome = await store.insert(record(c, { userId: user, createdAt: NOW + 2 }), { now: NOW, limit });
      expect(outcome).toEqual({ inserted: true, evicted: [record(a, { userId: user, createdAt: NOW })] });
      expect((await store.get(a))?.revokedAt).toBe(NOW);
      expect(await store.insert(record(key(), { userId: user }), { now: NOW, limit, replaces: c })).toEqual({ inserted: true, evicted: [] });
    });

    it('attack: concurrent logins of one user from several connections cannot exceed the session limit', async () => {
      const user = key();
      const limit = { max: 2, policy: 'refuse-new' } as const;
      const outcomes = await Promise.all(
        [...contenders, ...contenders].map((contender) => contender.insert(record(key(), { userId: user }), { now: NOW, limit })),
      );
      expect(outcomes.filter((o) => o.inserted)).toHaveLength(2);
      expect((await store.listUser(user)).filter((r) => r.revokedAt === undefined)).toHaveLength(2);
    });

    it('revokeUser revokes every live session of the user but the one kept, once', async () => {
      const user = key();
      const [keep, x, y] = [key(), key(), key()];
      for (const k of [keep, x, y]) await store.insert(record(k, { userId: user }), { now: NOW });
      await store.insert(record(key(), { userId: key() }), { now: NOW });
      const revoked = await store.revokeUser(user, NOW + 1, keep);
      expect(revoked.map((r) => r.key).sort()).toEqual([x, y].sort());
      expect(revoked.every((r) => r.revokedAt === undefined)).toBe(true);
      expect(await store.revokeUser(user, NOW + 2, keep)).toEqual([]);
      expect((await store.get(keep))?.revokedAt).toBeUndefined();
    });

    it('deleteExpired drops expired records and keeps live ones', async () => {
      const user = key();
      const [a, b] = [key(), key()];
      await store.insert(record(a, { userId: user, idleExpiresAt: NOW + 100, absoluteExpiresAt: NOW + 100 }), { now: NOW });
      await store.insert(record(b, { idleExpiresAt: NOW + 1_000_000, absoluteExpiresAt: NOW + 1_000_000 }), { now: NOW });
      expect(await store.deleteExpired(NOW + 100)).toBeGreaterThanOrEqual(1);
      expect(await store.get(a)).toBeUndefined();
      expect(await store.listUser(user)).toEqual([]);
      expect(await store.get(b)).toBeDefined();
    });

    it('survives closing and reopening the database (a restart)', async () => {
      const k = key();
      const first = await backend.open();
      await new SqlSessionStore(first).insert(record(k, { userId: 'u' }), { now: NOW });
      await first.close();
      const second = await backend.open();
      expect(await new SqlSessionStore(second).get(k)).toEqual(record(k, { userId: 'u' }));
      await second.close();
    });
  });
}
