import { ManualClock } from '@rampart/core';
import { KeyRing } from '@rampart/core/crypto';
import { JwtKeySet } from '@rampart/core/token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerDatabase } from '../db/database.js';
import { BACKENDS, type TestBackend } from '../stores/databases.fixtures.js';
import { keyScheduleOf } from './index.js';
import { ReloadingKeySet } from './key-source.js';
import { promoteDelayMs, retireDelayMs, SigningKeyStore, type PromoteOutcome } from './signing-keys.js';

const schedule = keyScheduleOf();
const T0 = Date.UTC(2026, 2, 1);

for (const { name, skip, create } of BACKENDS) {
  describe.skipIf(skip)(`SigningKeyStore on ${name}`, () => {
    let backend: TestBackend;
    let database: ServerDatabase;
    /** Stores on their own connections (PostgreSQL) — other server processes on the same database. */
    let contenders: SigningKeyStore[];
    const ring = KeyRing.generate();
    let store: SigningKeyStore;

    beforeAll(async () => {
      backend = await create();
      database = await backend.open();
      store = new SigningKeyStore(database, ring, schedule);
      // better-sqlite3 is synchronous: two connections of one process would block each other on the write lock, so on
      // SQLite the contenders share one connection (cross-process races on SQLite: packages/cli/src/keys.test.ts).
      contenders =
        backend.kind === 'postgres'
          ? await Promise.all([1, 2, 3, 4].map(async () => new SigningKeyStore(await backend.open(), ring, schedule)))
          : [store, store, store, store];
    });
    afterAll(() => backend.dispose());

    const rows = () => database.db.selectFrom('rampart_signing_keys').selectAll().orderBy('created_at').execute();

    it('servers starting at once on an empty database agree on one active key', async () => {
      const outcomes = await Promise.all(contenders.map((contender) => contender.ensureActive(T0, 'server')));
      expect(new Set(outcomes.map((o) => o.kid)).size).toBe(1);
      expect(outcomes.filter((o) => o.created)).toHaveLength(1);
      expect((await rows()).filter((row) => row.slot === 'active')).toHaveLength(1);
      expect(await rows()).toHaveLength(1);
      const log = await Promise.all(contenders.map((contender) => contender.claimLog(T0)));
      expect(log.flat()).toEqual([{ at: T0, action: 'activated', kid: outcomes[0]?.kid, actor: 'server' }]);
    });

    it('a new key waits as next, is promoted once when due (of concurrent promotions one wins), and the old key retires after its tokens', async () => {
      const [before] = await rows();
      const oldKid = before?.kid ?? '';
      const staged = await store.stage(T0 + 1, 'cli');
      expect(staged).toMatchObject({ status: 'staged', promotableAt: T0 + 1 + promoteDelayMs(schedule) });
      expect(await store.stage(T0 + 2, 'cli')).toEqual({ status: 'exists', kid: staged.kid, promotableAt: staged.promotableAt });
      expect(await store.promote(staged.promotableAt - 1, 'server')).toEqual({ status: 'not_due', kid: staged.kid, promotableAt: staged.promotableAt });
      const set = await store.load();
      expect(set.current.kid).toBe(oldKid);
      expect(set.kids().sort()).toEqual([oldKid, staged.kid].sort());

      const at = staged.promotableAt;
      const outcomes: PromoteOutcome[] = await Promise.all(contenders.map((contender) => contender.promote(at, 'server')));
      expect(outcomes.filter((o) => o.status === 'promoted')).toEqual([{ status: 'promoted', kid: staged.kid, previous: oldKid, previousRetiresAt: at + retireDelayMs(schedule) }]);
      expect(outcomes.every((o) => ['promoted', 'none', 'raced'].includes(o.status))).toBe(true);
      expect((await rows()).map((row) => [row.kid, row.slot])).toEqual([
        [oldKid, null],
        [staged.kid, 'active'],
      ]);
      expect((await store.load()).current.kid).toBe(staged.kid);

      expect(await store.retireDue(at + retireDelayMs(schedule) - 1, 'server')).toEqual([]);
      expect(await Promise.all(contenders.map((contender) => contender.retireDue(at + retireDelayMs(schedule), 'server')))).toContainEqual([oldKid]);
      const retired = (await rows()).find((row) => row.kid === oldKid);
      expect(retired).toMatchObject({ private_sealed: null, slot: null });
      expect((await store.load()).kids()).toEqual([staged.kid]);
      const claimed = (await Promise.all(contenders.map((contender) => contender.claimLog(at)))).flat();
      expect(claimed.map((entry) => entry.action).sort()).toEqual(['promoted', 'retired', 'staged']);
    });

    it('ATTACK: rows planted without the KEK are refused, and a running server keeps its last good keys', async () => {
      const errors: unknown[] = [];
      const clock = new ManualClock(T0);
      const live = await ReloadingKeySet.open({ load: () => store.load(), clock, minUnknownKidIntervalMs: 5_000, onError: (error) => errors.push(error) });
      const goodKids = live.keys.kids();
      const attacker = await JwtKeySet.generate();
      const foreign = attacker.exportEncrypted(KeyRing.generate()).keys[0];
      const [active] = (await rows()).filter((row) => row.slot === 'active');
      const plant = async (values: { kid: string; public_jwk: string; private_sealed: string | null }): Promise<void> => {
        await database.db
          .insertInto('rampart_signing_keys')
          .values({ ...values, alg: 'EdDSA', slot: null, created_at: T0, activated_at: null, deactivated_at: null, retire_after: T0 + 1e12, retired_at: null })
          .execute();
        await expect(store.load()).rejects.toThrow();
        await live.reload();
        expect(live.keys.kids()).toEqual(goodKids);
        await database.db.deleteFrom('rampart_signing_keys').where('kid', '=', values.kid).execute();
      };
      // A bare public key: verifying with it would accept the attacker's tokens.
      await plant({ kid: attacker.current.kid, public_jwk: JSON.stringify(attacker.jwks().keys[0]), private_sealed: null });
      // A key sealed under another ring.
      await plant({ kid: attacker.current.kid, public_jwk: JSON.stringify(foreign?.public), private_sealed: foreign?.private ?? null });
      // The server's own sealed key copied under another kid, with the attacker's public part beside it.
      await plant({ kid: 'copied-kid', public_jwk: JSON.stringify({ ...attacker.jwks().keys[0], kid: 'copied-kid' }), private_sealed: active?.private_sealed ?? null });
      expect(errors).toHaveLength(3);
      expect((await store.load()).kids()).toEqual(goodKids);
    });
  });
}
