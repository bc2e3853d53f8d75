import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { join } from 'node:path';
import type { ServerConfig } from '../config/config.js';
import type { RampartDatabase } from './schema.js';

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
 * SQLite in WAL mode with `synchronous = FULL` (an acknowledged write survives a crash) and foreign keys on.
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
  file.pragma('synchronous = FULL');
  file.pragma('foreign_keys = ON');
  file.pragma('busy_timeout = 5000');
  const db = new Kysely<RampartDatabase>({ dialect: new SqliteDialect({ database: file }) });
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
