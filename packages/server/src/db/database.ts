import Database from 'better-sqlite3';
import { walGroupCommit } from '@rampart/core/sqlite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { join } from 'node:path';
import type { ServerConfig } from '../config/config.js';
import type { RampartDatabase } from './schema.js';
import { DurableSqliteDialect } from './sqlite-driver.js';

/** The server's database: Kysely over SQLite (default) or PostgreSQL, and how to ping and close it. */
export interface ServerDatabase {
  readonly kind: 'sqlite' | 'postgres';
  readonly db: Kysely<RampartDatabase>;
  /** Resolves when the database answers a trivial query; rejects otherwise (`/readyz`). */
  ping(): Promise<void>;
  /** A `pg.Pool` for stores that take one (the PostgreSQL audit store); `undefined` on SQLite. */
  readonly pool: pg.Pool | undefined;
  close(): Promise<void>;
}

/** The SQLite file inside the data directory. */
export const SQLITE_FILE = 'rampart.db';

/**
 * Opens the database the configuration names: PostgreSQL when `databaseUrl` is set, else `<dataDir>/rampart.db` on
 * SQLite in WAL mode and foreign keys on. A write is acknowledged only once the WAL is fsynced (an acknowledged write
 * survives a crash and a power loss, as with `synchronous = FULL`), by a group commit off the event loop
 * (./sqlite-driver.ts).
 */
export function openDatabase(config: ServerConfig): ServerDatabase {
  if (config.databaseUrl !== undefined) {
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 10, connectionTimeoutMillis: 5_000 });
    const db = new Kysely<RampartDatabase>({ dialect: new PostgresDialect({ pool }) });
    return {
      kind: 'postgres',
      db,
      pool,
      ping: async () => {
        await sql`SELECT 1`.execute(db);
      },
      close: () => db.destroy(),
    };
  }
  const file = new Database(join(config.dataDir, SQLITE_FILE));
  file.pragma('journal_mode = WAL');
  file.pragma('foreign_keys = ON');
  file.pragma('busy_timeout = 5000');
  const db = new Kysely<RampartDatabase>({ dialect: new DurableSqliteDialect(file, walGroupCommit(file)) });
  return {
    kind: 'sqlite',
    db,
    pool: undefined,
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
