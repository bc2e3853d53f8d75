import { randomUUID } from 'node:crypto';
import { KeyRing } from '@rampart/core/crypto';
import { BackupCodes } from '@rampart/core/mfa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerDatabase } from '../db/database.js';
import { SqlBackupCodeStore } from './backup-code-store.js';
import { BACKENDS, raceInProcesses, type TestBackend } from './databases.fixtures.js';

const codes = (n: number) => Array.from({ length: n }, (_, i) => ({ kid: 'k1', hash: `hash-${i}` }));

for (const { name, skip, create } of BACKENDS) {
  describe.skipIf(skip)(`SqlBackupCodeStore on ${name}`, () => {
    let backend: TestBackend;
    let database: ServerDatabase;
    let store: SqlBackupCodeStore;
    let contenders: SqlBackupCodeStore[];

    beforeAll(async () => {
      backend = await create();
      database = await backend.open();
      store = new SqlBackupCodeStore(database);
      contenders = backend.kind === 'postgres' ? await Promise.all([1, 2, 3, 4].map(async () => new SqlBackupCodeStore(await backend.open()))) : [store, store, store, store];
    });
    afterAll(() => backend.dispose());

    it('consumes a code once and reports what is left; kid and hash must both match', async () => {
      const subject = randomUUID();
      await store.replace(subject, codes(3));
      expect(await store.count(subject)).toBe(3);
      expect(await store.consume(subject, [{ kid: 'k2', hash: 'hash-0' }])).toBeUndefined();
      expect(await store.consume(subject, [{ kid: 'k1', hash: 'nope' }, { kid: 'k1', hash: 'hash-0' }])).toBe(2);
      expect(await store.consume(subject, [{ kid: 'k1', hash: 'hash-0' }])).toBeUndefined();
      expect(await store.consume(randomUUID(), [{ kid: 'k1', hash: 'hash-1' }])).toBeUndefined();
    });

    it('replace swaps the whole set: no code of the old set survives', async () => {
      const subject = randomUUID();
      await store.replace(subject, codes(2));
      await store.replace(subject, [{ kid: 'k1', hash: 'new' }]);
      expect(await store.consume(subject, [{ kid: 'k1', hash: 'hash-0' }])).toBeUndefined();
      expect(await store.count(subject)).toBe(1);
      await store.replace(subject, []);
      expect(await store.count(subject)).toBe(0);
    });

    it('attack: one code redeemed concurrently on several connections succeeds exactly once', async () => {
      const subject = randomUUID();
      await store.replace(subject, codes(5));
      const results = await Promise.all([...contenders, ...contenders].map((s) => s.consume(subject, [{ kid: 'k1', hash: 'hash-2' }])));
      expect(results.filter((r) => r !== undefined)).toEqual([4]);
      expect(await store.count(subject)).toBe(4);
    });

    it('attack: one code redeemed at once from separate processes succeeds exactly once', async () => {
      const subject = randomUUID();
      await store.replace(subject, codes(3));
      const answers = await raceInProcesses(backend.location, [1, 2, 3].map(() => ({ op: 'backup-consume', subject, kid: 'k1', hash: 'hash-1' })));
      expect(answers.map((a) => (a as { remaining: number | null }).remaining).sort()).toEqual([2, null, null]);
    });

    it('with BackupCodes end to end: only HMACs are stored, and a used code is refused after a restart', async () => {
      const subject = randomUUID();
      const ring = KeyRing.generate();
      const first = await backend.open();
      const generated = await new BackupCodes({ store: new SqlBackupCodeStore(first), keyRing: ring }).regenerate(subject);
      const code = generated[0]!;
      const dump = JSON.stringify(await database.db.selectFrom('rampart_backup_codes').selectAll().where('subject', '=', subject).execute());
      for (const plain of generated) expect(dump).not.toContain(plain.replace(/-/g, ''));
      expect((await new BackupCodes({ store: new SqlBackupCodeStore(first), keyRing: ring }).consume(subject, code)).ok).toBe(true);
      await first.close();
      const second = await backend.open();
      const after = new BackupCodes({ store: new SqlBackupCodeStore(second), keyRing: ring });
      expect((await after.consume(subject, code)).ok).toBe(false);
      expect(await after.remaining(subject)).toBe(generated.length - 1);
      await second.close();
    });
  });
}
