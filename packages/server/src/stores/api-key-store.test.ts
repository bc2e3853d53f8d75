import { randomUUID } from 'node:crypto';
import { ManualClock } from '@rampart/core';
import { KeyRing } from '@rampart/core/crypto';
import { ApiKeys, type ApiKeyRecord } from '@rampart/core/token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerDatabase } from '../db/database.js';
import { SqlApiKeyStore } from './api-key-store.js';
import { BACKENDS, type TestBackend } from './databases.fixtures.js';

function record(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return { id: randomUUID(), prefix: 'rk', subject: 'svc-1', name: 'CI deploy', scopes: ['read', 'write'], createdAt: 1000, expiresAt: 9000, hash: 'h1', hashKid: 'k1', ...overrides };
}

for (const { name, skip, create } of BACKENDS) {
  describe.skipIf(skip)(`SqlApiKeyStore on ${name}`, () => {
    let backend: TestBackend;
    let database: ServerDatabase;
    let store: SqlApiKeyStore;

    beforeAll(async () => {
      backend = await create();
      database = await backend.open();
      store = new SqlApiKeyStore(database);
    });
    afterAll(() => backend.dispose());

    it('round-trips a record and never overwrites an existing id', async () => {
      const key = record();
      await store.insert(key);
      expect(await store.findById(key.id)).toEqual(key);
      await expect(store.insert({ ...key, subject: 'attacker', hash: 'other' })).rejects.toMatchObject({ code: 'APIKEY_STORE_CONFLICT' });
      expect((await store.findById(key.id))?.subject).toBe('svc-1');
      const bare = record({ name: undefined, expiresAt: undefined });
      const { name: _name, expiresAt: _expiresAt, ...withoutOptional } = bare;
      await store.insert(withoutOptional);
      expect(await store.findById(bare.id)).toEqual(withoutOptional);
    });

    it('attack: markUsed racing a revocation from another connection never brings the key back', async () => {
      const other = new SqlApiKeyStore(await backend.open());
      const key = record();
      await store.insert(key);
      const [revoked] = await Promise.all([other.revoke(key.id, 2000), store.markUsed(key.id, 2500, { hash: 'h2', hashKid: 'k2' })]);
      expect(revoked).toBe(true);
      expect(await store.findById(key.id)).toMatchObject({ revokedAt: 2000, lastUsedAt: 2500, hash: 'h2', hashKid: 'k2' });
      await store.markUsed(key.id, 2100); // an older request landing last does not move last-used backwards
      expect((await store.findById(key.id))?.lastUsedAt).toBe(2500);
      expect((await store.findById(key.id))?.revokedAt).toBe(2000);
    });

    it('writes last-used at most once a minute per key (no durable write per request), a rehash at once', async () => {
      const key = record();
      await store.insert(key);
      await store.markUsed(key.id, 10_000);
      await store.markUsed(key.id, 40_000);
      expect((await store.findById(key.id))?.lastUsedAt).toBe(10_000);
      await store.markUsed(key.id, 45_000, { hash: 'h3', hashKid: 'k3' });
      expect(await store.findById(key.id)).toMatchObject({ lastUsedAt: 45_000, hash: 'h3' });
      await store.markUsed(key.id, 105_000);
      expect((await store.findById(key.id))?.lastUsedAt).toBe(105_000);
    });

    it('revoke reports true exactly once, across connections', async () => {
      const key = record();
      await store.insert(key);
      const others = backend.kind === 'postgres' ? await Promise.all([1, 2, 3].map(async () => new SqlApiKeyStore(await backend.open()))) : [store, store, store];
      const results = await Promise.all(others.map((s, n) => s.revoke(key.id, 3000 + n)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.revoke(randomUUID(), 1)).toBe(false);
    });

    it('lists a subject’s keys, with ApiKeys end to end: verify, revoke, refuse', async () => {
      const clock = new ManualClock(Date.now());
      const keys = new ApiKeys({ store, ring: KeyRing.generate(), clock });
      const subject = randomUUID();
      const created = await keys.create({ subject, scopes: ['read'] });
      expect((await store.listBySubject(subject)).map((k) => k.id)).toEqual([created.info.id]);
      expect(JSON.stringify(await store.listBySubject(subject))).not.toContain(created.key.split('_').at(-1));
      expect((await keys.verify(created.key)).ok).toBe(true);
      expect(await keys.revoke(created.info.id)).toBe(true);
      expect(await keys.verify(created.key)).toMatchObject({ ok: false });
    });

    it('survives closing and reopening the database', async () => {
      const key = record();
      const first = await backend.open();
      await new SqlApiKeyStore(first).insert(key);
      await first.close();
      const second = await backend.open();
      expect(await new SqlApiKeyStore(second).findById(key.id)).toEqual(key);
      await second.close();
    });
  });
}
