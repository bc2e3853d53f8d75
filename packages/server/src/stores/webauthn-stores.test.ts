import { randomUUID } from 'node:crypto';
import { ManualClock } from '@rampart/core';
import type { StoredWebAuthnChallenge, StoredWebAuthnCredential } from '@rampart/core/mfa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerDatabase } from '../db/database.js';
import { BACKENDS, raceInProcesses, type TestBackend } from './databases.fixtures.js';
import { SqlWebAuthnChallengeStore } from './webauthn-challenge-store.js';
import { SqlWebAuthnCredentialStore } from './webauthn-credential-store.js';

const credential = (id: string, userId: string, counter = 0): StoredWebAuthnCredential => ({
  id,
  userId,
  publicKey: new Uint8Array([1, 2, 3, 250]),
  counter,
  transports: ['usb', 'nfc'],
  deviceType: 'multiDevice',
  backedUp: true,
  aaguid: '00000000-0000-0000-0000-000000000000',
  createdAt: new Date(1000),
});

const use = (counter: number) => ({ counter, backedUp: false, lastUsedAt: new Date(2000) });

for (const { name, skip, create } of BACKENDS) {
  describe.skipIf(skip)(`SQL WebAuthn stores on ${name}`, () => {
    let backend: TestBackend;
    let database: ServerDatabase;
    let credentials: SqlWebAuthnCredentialStore;
    let databases: ServerDatabase[];

    beforeAll(async () => {
      backend = await create();
      database = await backend.open();
      credentials = new SqlWebAuthnCredentialStore(database);
      databases = backend.kind === 'postgres' ? await Promise.all([1, 2, 3, 4].map(() => backend.open())) : [database, database, database, database];
    });
    afterAll(() => backend.dispose());

    it('round-trips a credential and lists a user’s credentials', async () => {
      const [user, id, id2] = [randomUUID(), `a-${randomUUID()}`, `b-${randomUUID()}`];
      expect(await credentials.create(credential(id, user))).toBe(true);
      await credentials.create(credential(id2, user));
      expect(await credentials.findById(id)).toEqual(credential(id, user));
      expect((await credentials.listByUser(user)).map((c) => c.id)).toEqual([id, id2]);
      expect(await credentials.findById('nope')).toBeUndefined();
      await credentials.delete(id);
      expect(await credentials.findById(id)).toBeUndefined();
    });

    it('attack: one credential id registered concurrently to two accounts is attached to exactly one', async () => {
      const id = randomUUID();
      const results = await Promise.all(databases.map((db, n) => new SqlWebAuthnCredentialStore(db).create(credential(id, `user-${n}`))));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await credentials.create(credential(id, 'attacker'))).toBe(false);
      expect((await credentials.findById(id))?.userId).toBe(`user-${results.indexOf(true)}`);
    });

    it('attack: recordUse is a compare-and-set: concurrent assertions with one counter pass once; flagged is refused', async () => {
      const id = randomUUID();
      await credentials.create(credential(id, 'a', 5));
      expect(await credentials.recordUse(id, 4, use(9))).toBe(false);
      const results = await Promise.all(databases.map((db) => new SqlWebAuthnCredentialStore(db).recordUse(id, 5, use(6))));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await credentials.findById(id)).toMatchObject({ counter: 6, backedUp: false, lastUsedAt: new Date(2000) });
      await credentials.flag(id, 'counter_regression', new Date(3000));
      expect((await credentials.findById(id))?.flagged).toEqual({ reason: 'counter_regression', at: new Date(3000) });
      expect(await credentials.recordUse(id, 6, use(7))).toBe(false);
      expect(await credentials.recordUse('missing', 0, use(1))).toBe(false);
    });

    it('attack: a challenge taken concurrently on several connections is received once', async () => {
      const clock = new ManualClock();
      const ceremony = randomUUID();
      await new SqlWebAuthnChallengeStore(database, { clock }).put(ceremony, { kind: 'authentication', challenge: 'c', expiresAt: clock.now() + 60_000 });
      const taken = await Promise.all([...databases, ...databases].map((db) => new SqlWebAuthnChallengeStore(db, { clock }).take(ceremony)));
      expect(taken.filter((r) => r !== undefined)).toEqual([{ kind: 'authentication', challenge: 'c', expiresAt: clock.now() + 60_000 }]);
    });

    it('attack: a challenge taken at once from separate processes is received once', async () => {
      const ceremony = randomUUID();
      await new SqlWebAuthnChallengeStore(database).put(ceremony, { kind: 'registration', challenge: 'c', userId: 'u', expiresAt: Date.now() + 60_000 });
      const answers = await raceInProcesses(backend.location, [1, 2, 3].map(() => ({ op: 'challenge-take', ceremonyId: ceremony })));
      expect(answers.filter((a) => (a as { taken: StoredWebAuthnChallenge | null }).taken !== null)).toHaveLength(1);
    });

    it('a ceremony started on one server finishes on another after a restart; expired ones are swept on put', async () => {
      const clock = new ManualClock();
      const [kept, old] = [randomUUID(), randomUUID()];
      const first = await backend.open();
      const before = new SqlWebAuthnChallengeStore(first, { clock });
      await before.put(old, { kind: 'authentication', challenge: 'o', expiresAt: clock.now() + 10 });
      await before.put(kept, { kind: 'registration', challenge: 'k', userId: 'u', expiresAt: clock.now() + 60_000 });
      await first.close();
      clock.advance(10);
      const second = await backend.open();
      const after = new SqlWebAuthnChallengeStore(second, { clock });
      await after.put(randomUUID(), { kind: 'authentication', challenge: 'n', expiresAt: clock.now() + 60_000 });
      expect(await after.take(old)).toBeUndefined();
      expect(await after.take(kept)).toEqual({ kind: 'registration', challenge: 'k', userId: 'u', expiresAt: clock.now() - 10 + 60_000 });
      expect(await after.take(kept)).toBeUndefined();
      await second.close();
    });
  });
}
