import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerDatabase } from '../db/database.js';
import { BACKENDS, raceInProcesses, type TestBackend } from './databases.fixtures.js';
import { SqlTotpReplayStore } from './totp-replay-store.js';

const FOREVER = Number.MAX_SAFE_INTEGER;

for (const { name, skip, create } of BACKENDS) {
  describe.skipIf(skip)(`SqlTotpReplayStore on ${name}`, () => {
    let backend: TestBackend;
    let database: ServerDatabase;
    let store: SqlTotpReplayStore;
    let contenders: SqlTotpReplayStore[];

    beforeAll(async () => {
      backend = await create();
      database = await backend.open();
      store = new SqlTotpReplayStore(database);
      contenders = backend.kind === 'postgres' ? await Promise.all([1, 2, 3, 4].map(async () => new SqlTotpReplayStore(await backend.open()))) : [store, store, store, store];
    });
    afterAll(() => backend.dispose());

    it('accepts only strictly increasing steps per key', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      expect(await store.acceptStep(a, 10, FOREVER)).toBe(true);
      expect(await store.acceptStep(a, 10, FOREVER)).toBe(false);
      expect(await store.acceptStep(a, 9, FOREVER)).toBe(false);
      expect(await store.acceptStep(b, 9, FOREVER)).toBe(true);
      expect(await store.acceptStep(a, 11, FOREVER)).toBe(true);
    });

    it('attack: one code replayed concurrently on several connections is accepted exactly once', async () => {
      const key = randomUUID();
      const results = await Promise.all([...contenders, ...contenders, ...contenders].map((s) => s.acceptStep(key, 5, FOREVER)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('attack: one code replayed at once from separate processes is accepted exactly once', async () => {
      const key = randomUUID();
      const answers = await raceInProcesses(backend.location, [1, 2, 3].map(() => ({ op: 'totp-accept', key, step: 7 })));
      expect(answers.filter((a) => (a as { accepted: boolean }).accepted)).toHaveLength(1);
      expect(await store.acceptStep(key, 7, FOREVER)).toBe(false);
    });

    it('deleteExpired forgets records past retainUntil and keeps the others', async () => {
      const [old, fresh] = [randomUUID(), randomUUID()];
      await store.acceptStep(old, 1, 1_000);
      await store.acceptStep(fresh, 1, FOREVER);
      expect(await store.deleteExpired(5_000)).toBeGreaterThanOrEqual(1);
      expect(await store.acceptStep(fresh, 1, FOREVER)).toBe(false);
      expect(await store.acceptStep(old, 1, FOREVER)).toBe(true);
    });

    it('survives closing and reopening the database: a used code stays used after a restart', async () => {
      const key = randomUUID();
      const first = await backend.open();
      expect(await new SqlTotpReplayStore(first).acceptStep(key, 3, FOREVER)).toBe(true);
      await first.close();
      const second = await backend.open();
      expect(await new SqlTotpReplayStore(second).acceptStep(key, 3, FOREVER)).toBe(false);
      await second.close();
    });
  });
}
