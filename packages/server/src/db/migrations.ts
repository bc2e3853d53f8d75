import { Migrator, PostgresAdapter, sql, type Kysely, type MigrationProvider, type MigrationResultSet } from 'kysely';

import { MIGRATIONS } from './migrations/index.js';

const provider: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};

/** Migration names this version knows, in order. */
export const KNOWN_MIGRATIONS: readonly string[] = Object.keys(MIGRATIONS).sort();

/** Thrown when the database is newer than this server or a migration failed; the server does not start on it. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/**
 * Brings the schema to this version. Refuses a database migrated by a newer version (a downgrade would run old code
 * on a schema it does not know) and reports the failing migration by name.
 */
export async function migrateToLatest<Database>(db: Kysely<Database>): Promise<MigrationResultSet> {
  // On PostgreSQL, the migration tables live in the connection's own schema: without naming it, Kysely sees a
  // `rampart_migrations` table of *another* schema of the same database as this one's and fails to lock.
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const schema = postgres ? (await sql<{ name: string }>`SELECT current_schema() AS name`.execute(db)).rows[0]?.name : undefined;
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'rampart_migrations',
    migrationLockTableName: 'rampart_migrations_lock',
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  // Kysely itself refuses a database with an executed migration this version does not have (a newer version's).
  const result = await migrator.migrateToLatest();
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const why = result.error instanceof Error ? result.error.message : 'unknown error';
    throw new MigrationError(failed === undefined ? `cannot migrate: ${why}` : `migration ${failed} failed: ${why}`, { cause: result.error });
  }
  return result;
}
