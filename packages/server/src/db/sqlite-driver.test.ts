import Database from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { walGroupCommit, type WalGroupCommit } from '@rampart/core/sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableSqliteDialect } from './sqlite-driver.js';
import { prepared } from './prepared.js';
import { writeTransaction } from '../stores/sql.js';
import type { RampartDatabase } from './schema.js';

interface Schema {
  items: { id: number; name: string };
}

/** The real group commit, counting the syncs it is asked for; `hold` keeps the next syncs pending until released. */
class CountingDurability implements WalGroupCommit {
  syncs = 0;
  #held: Promise<void> | undefined;
  #release: (() => void) | undefined;
  constructor(readonly inner: WalGroupCommit) {}
  hold(): void {
    this.#held = new Promise((resolve) => {
      this.#release = resolve;
    });
  }
  release(): void {
    this.#release?.();
    this.#held = undefined;
  }
  async sync(): Promise<void> {
    this.syncs++;
    await this.#held;
    await this.inner.sync();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function open(): Promise<{ db: Kysely<Schema>; durability: CountingDurability; file: Database.Database; path: string }> {
  const directory = mkdtempSync(join(tmpdir(), 'rampart-driver-'));
  const path = join(directory, 'x.db');
  const file = new Database(path);
  file.pragma('journal_mode = WAL');
  const durability = new CountingDurability(walGroupCommit(file));
  const db = new Kysely<Schema>({ dialect: new DurableSqliteDialect(file, durability) });
  await sql`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`.execute(db);
  durability.syncs = 0;
  cleanups.push(async () => {
    await db.destroy();
    rmSync(directory, { recursive: true, force: true });
  });
  return { db, durability, file, path };
}

describe('DurableSqliteDialect', () => {
  it('waits for the group commit after a write outside a transaction, and never after a read', async () => {
    const { db, durability } = await open();
    await db.insertInto('items').values({ id: 1, name: 'a' }).execute();
    expect(durability.syncs).toBe(1);
    await db.selectFrom('items').selectAll().execute();
    await sql`SELECT 1`.execute(db);
    expect(durability.syncs).toBe(1);
    await db.insertInto('items').values({ id: 2, name: 'b' }).returning('id').execute();
    expect(durability.syncs).toBe(2);
  });

  it('syncs a transaction once, after its COMMIT, on Kysely transactions and on raw BEGIN IMMEDIATE … COMMIT', async () => {
    const { db, durability } = await open();
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('items').values({ id: 1, name: 'a' }).execute();
      await trx.insertInto('items').values({ id: 2, name: 'b' }).execute();
      expect(durability.syncs).toBe(0);
    });
    expect(durability.syncs).toBe(1);
    await db.connection().execute(async (connection) => {
      await sql`BEGIN IMMEDIATE`.execute(connection);
      await connection.updateTable('items').set({ name: 'c' }).where('id', '=', 1).execute();
      await sql`COMMIT`.execute(connection);
    });
    expect(durability.syncs).toBe(2);
    await db.transaction().execute(async (trx) => {
      await trx.selectFrom('items').selectAll().execute();
    });
    expect(durability.syncs).toBe(2);
  });

  it('does not answer a write before its sync, and frees the connection for others meanwhile', async () => {
    const { db, durability } = await open();
    durability.hold();
    let acknowledged = false;
    const write = db
      .insertInto('items')
      .values({ id: 1, name: 'a' })
      .execute()
      .then(() => {
        acknowledged = true;
      });
    // Another request's read runs while the write waits for the disk (and already sees the committed row).
    const rows = await db.selectFrom('items').select('name').execute();
    expect(rows).toEqual([{ name: 'a' }]);
    expect(acknowledged).toBe(false);
    durability.release();
    await write;
    expect(acknowledged).toBe(true);
  });

  it('rolls back a failed transaction and keeps no half of it', async () => {
    const { db } = await open();
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('items').values({ id: 1, name: 'a' }).execute();
        await trx.insertInto('items').values({ id: 1, name: 'duplicate' }).execute();
      }),
    ).rejects.toThrow(/UNIQUE/);
    expect(await db.selectFrom('items').selectAll().execute()).toEqual([]);
  });

  it('reuses prepared statements and still sees a column added after one was prepared', async () => {
    const { db } = await open();
    await db.insertInto('items').values({ id: 1, name: 'a' }).execute();
    const all = () => sql<Record<string, unknown>>`SELECT * FROM items`.execute(db);
    expect((await all()).rows).toEqual([{ id: 1, name: 'a' }]);
    await sql`ALTER TABLE items ADD COLUMN colour TEXT`.execute(db);
    expect((await all()).rows).toEqual([{ id: 1, name: 'a', colour: null }]);
  });

  it('streams select queries', async () => {
    const { db } = await open();
    await db.insertInto('items').values([{ id: 1, name: 'a' }, { id: 2, name: 'b' }]).execute();
    const names: string[] = [];
    for await (const row of db.selectFrom('items').select('name').orderBy('id').stream()) names.push(row.name);
    expect(names).toEqual(['a', 'b']);
  });

  describe('the direct path of precompiled statements', () => {
    const insert = prepared((db: Kysely<Schema>, args: { id: number; name: string }) => db.insertInto('items').values({ id: args.id, name: args.name }));
    const byId = prepared((db: Kysely<Schema>, args: { id: number }) => db.selectFrom('items').select('name').where('id', '=', args.id));
    /** writeTransaction is typed for the server's schema; these tables are the test's own. */
    const asStore = (db: Kysely<Schema>) => ({ kind: 'sqlite' as const, db: db as unknown as Kysely<RampartDatabase> });
    const asItems = (db: unknown) => db as Kysely<Schema>;

    it('acknowledges a write outside a transaction only after its sync, like Kysely\'s path', async () => {
      const { db, durability } = await open();
      durability.hold();
      let acknowledged = false;
      const write = insert.run(db, { id: 1, name: 'a' }).then((changes) => {
        acknowledged = true;
        return changes;
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(acknowledged).toBe(false);
      expect(await byId.first(db, { id: 1 })).toEqual({ name: 'a' });
      durability.release();
      expect(await write).toBe(1n);
      expect(durability.syncs).toBe(1);
      await byId.first(db, { id: 1 });
      expect(durability.syncs).toBe(1);
    });

    it('queues behind another caller\'s transaction instead of running inside it', async () => {
      const { db } = await open();
      let inside!: () => void;
      const paused = new Promise<void>((resolve) => {
        inside = resolve;
      });
      let resume!: () => void;
      const transaction = writeTransaction(asStore(db), async (trx) => {
        await insert.run(asItems(trx), { id: 1, name: 'uncommitted' });
        inside();
        await new Promise<void>((resolve) => {
          resume = resolve;
        });
        throw new Error('roll back');
      });
      await paused;
      // A statement from outside while the transaction holds the one connection: run directly, it would join the
      // transaction, read its uncommitted row and be rolled back with it.
      const outsideRead = byId.first(db, { id: 1 });
      const outsideWrite = insert.run(db, { id: 2, name: 'outside' });
      resume();
      await expect(transaction).rejects.toThrow('roll back');
      expect(await outsideRead).toBeUndefined();
      expect(await outsideWrite).toBe(1n);
      expect(await db.selectFrom('items').select(['id', 'name']).execute()).toEqual([{ id: 2, name: 'outside' }]);
    });

    it('runs the holding transaction\'s statements inside it, rolled back with it', async () => {
      const { db, durability } = await open();
      await expect(
        writeTransaction(asStore(db), async (trx) => {
          await insert.run(asItems(trx), { id: 1, name: 'a' });
          expect(await byId.first(asItems(trx), { id: 1 })).toEqual({ name: 'a' });
          await insert.run(asItems(trx), { id: 1, name: 'duplicate' });
        }),
      ).rejects.toThrow(/UNIQUE/);
      expect(await byId.first(db, { id: 1 })).toBeUndefined();
      await writeTransaction(asStore(db), async (trx) => {
        await insert.run(asItems(trx), { id: 3, name: 'c' });
      });
      expect(await byId.first(db, { id: 3 })).toEqual({ name: 'c' });
      expect(durability.syncs).toBeGreaterThanOrEqual(1);
    });

    it('keeps Kysely\'s path on an instance with plugins, whose results they transform', async () => {
      const { db } = await open();
      await insert.run(db, { id: 1, name: 'a' });
      const upper = db.withPlugin({
        transformQuery: (args) => args.node,
        transformResult: (args) => Promise.resolve({ ...args.result, rows: args.result.rows.map((row) => ({ ...row, name: String(row.name).toUpperCase() })) }),
      });
      expect(await byId.first(upper, { id: 1 })).toEqual({ name: 'A' });
    });
  });
});
