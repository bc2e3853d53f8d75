import Database from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { walGroupCommit, type WalGroupCommit } from '@rampart/core/sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableSqliteDialect } from './sqlite-driver.js';

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
});
