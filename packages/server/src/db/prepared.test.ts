import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type TestBackend } from '../stores/databases.fixtures.js';
import type { ServerDatabase } from './database.js';
import { prepared } from './prepared.js';
import type { RampartDatabase } from './schema.js';

type Db = Kysely<RampartDatabase>;

const byKey = prepared((db: Db, args: { key: string }) => db.selectFrom('rampart_sessions').select(['key', 'handle', 'data']).where('key', '=', args.key));
const liveOfUser = prepared((db: Db, args: { userId: string; now: number }) =>
  db.selectFrom('rampart_sessions').select('key').where('user_id', '=', args.userId).where('revoked_at', 'is', null).where('idle_expires_at', '>', args.now).where('absolute_expires_at', '>', args.now).orderBy('key'),
);
const revoke = prepared((db: Db, args: { key: string; at: number }) => db.updateTable('rampart_sessions').set({ revoked_at: args.at }).where('key', '=', args.key).where('revoked_at', 'is', null));

async function insertSession(db: Db, key: string, userId: string): Promise<void> {
  await db
    .insertInto('rampart_sessions')
    .values({ key, handle: `h-${key}`, user_id: userId, data: '{"a":1}', created_at: 1, last_seen_at: 1, idle_expires_at: 10_000, absolute_expires_at: 20_000, revoked_at: null })
    .execute();
}

for (const { name, skip, create } of BACKENDS) {
  describe.skipIf(skip)(`prepared queries on ${name}`, () => {
    let backend: TestBackend;
    let database: ServerDatabase;

    beforeAll(async () => {
      backend = await create();
      database = await backend.open();
    });
    afterAll(() => backend.dispose());

    it('answers exactly what the same Kysely query answers, call after call with other values', async () => {
      const user = randomUUID();
      const keys = [randomUUID(), randomUUID(), randomUUID()].sort();
      for (const key of keys) await insertSession(database.db, key, user);
      for (const key of keys) {
        const plain = await database.db.selectFrom('rampart_sessions').select(['key', 'handle', 'data']).where('key', '=', key).executeTakeFirst();
        expect(await byKey.first(database.db, { key })).toEqual(plain);
      }
      expect((await liveOfUser.all(database.db, { userId: user, now: 5 })).map((row) => row.key)).toEqual(keys);
      // An argument used twice takes the same value at both places.
      expect(await liveOfUser.all(database.db, { userId: user, now: 15_000 })).toEqual([]);
      expect(await revoke.run(database.db, { key: keys[0]!, at: 7 })).toBe(1n);
      expect(await revoke.run(database.db, { key: keys[0]!, at: 8 })).toBe(0n);
      expect((await liveOfUser.all(database.db, { userId: user, now: 5 })).map((row) => row.key)).toEqual(keys.slice(1));
    });

    it('runs inside a transaction on the transaction’s connection', async () => {
      const user = randomUUID();
      const key = randomUUID();
      await insertSession(database.db, key, user);
      await expect(
        database.db.transaction().execute(async (trx) => {
          expect(await revoke.run(trx, { key, at: 9 })).toBe(1n);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect((await liveOfUser.all(database.db, { userId: user, now: 5 })).map((row) => row.key)).toEqual([key]);
    });

    it('attack: an injection payload stays a value — it matches nothing and alters no row', async () => {
      const user = randomUUID();
      const key = randomUUID();
      await insertSession(database.db, key, user);
      for (const payload of [`' OR '1'='1`, `${key}' --`, `x'; UPDATE rampart_sessions SET revoked_at = 1; --`]) {
        expect(await byKey.first(database.db, { key: payload })).toBeUndefined();
        expect(await revoke.run(database.db, { key: payload, at: 1 })).toBe(0n);
      }
      expect(byKey.compile(database.db, { key: `' OR '1'='1` }).sql).not.toContain('OR');
      expect((await liveOfUser.all(database.db, { userId: user, now: 5 })).map((row) => row.key)).toEqual([key]);
    });
  });
}

describe('prepared query declarations', () => {
  let backend: TestBackend;
  let database: ServerDatabase;

  beforeAll(async () => {
    backend = await BACKENDS[0]!.create();
    database = await backend.open();
  });
  afterAll(() => backend.dispose());

  it('refuses a builder that transforms an argument (it would run with a stale value)', () => {
    const lowered = prepared((db: Db, args: { email: string }) => db.selectFrom('rampart_users').select('id').where('email_normalized', '=', args.email.toLowerCase()));
    expect(() => lowered.compile(database.db, { email: 'A@example.com' })).toThrow(/does not reach the query as one bound value/);
  });

  it('refuses a builder that writes an argument into the SQL text', () => {
    const inlined = prepared((db: Db, args: { column: string }) => db.selectFrom('rampart_users').select('id').where((eb) => eb.ref(args.column as 'id'), '=', 'x'));
    expect(() => inlined.compile(database.db, { column: 'id' })).toThrow(/does not reach the query as one bound value/);
  });
});
