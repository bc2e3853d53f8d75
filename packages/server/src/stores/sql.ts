import { sql, type Kysely, type Transaction } from 'kysely';
import type { RampartDatabase } from '../db/schema.js';
import { DurableSqliteAdapter } from '../db/sqlite-driver.js';

/** What a SQL store needs of the server's database: the Kysely instance and which engine it speaks to. */
export interface StoreDatabase {
  readonly kind: 'sqlite' | 'postgres';
  readonly db: Kysely<RampartDatabase>;
}

/** A connection inside a write transaction. */
export type WriteTransaction = Kysely<RampartDatabase> | Transaction<RampartDatabase>;

/**
 * Runs `work` in a transaction that holds the database's write lock from its first statement, on both engines.
 *
 * Protects the stores' check-then-write steps against other processes on the same database. On SQLite a plain
 * (deferred) `BEGIN` takes the write lock only at the first write, so two processes could both read "below the
 * limit" before either writes, and the later one then fails with `SQLITE_BUSY` instead of waiting; `BEGIN IMMEDIATE`
 * takes the lock up front and the connection's `busy_timeout` makes other writers queue behind it. On PostgreSQL the
 * transaction itself does not serialize anything: each store takes the row or advisory locks it needs inside `work`.
 */
export async function writeTransaction<T>(store: StoreDatabase, work: (trx: WriteTransaction) => Promise<T>): Promise<T> {
  if (store.kind === 'postgres') return store.db.transaction().execute(work);
  return store.db.connection().execute(async (connection) => {
    // The connection is this transaction's until the callback returns: its precompiled statements may run directly.
    const adapter = connection.getExecutor().adapter;
    const direct = adapter instanceof DurableSqliteAdapter ? adapter.direct : undefined;
    const control = async (statement: 'BEGIN IMMEDIATE' | 'COMMIT' | 'ROLLBACK'): Promise<void> => {
      await (direct?.run(connection, statement, []) ?? sql.raw(statement).execute(connection));
    };
    direct?.hold(connection);
    try {
      await control('BEGIN IMMEDIATE');
      let result: T;
      try {
        result = await work(connection);
      } catch (error) {
        await control('ROLLBACK');
        throw error;
      }
      await control('COMMIT');
      return result;
    } finally {
      direct?.release(connection);
    }
  });
}

/** A `bigint` column as a number: SQLite returns numbers, `pg` returns int8 as a decimal string. */
export function int64(value: number | string): number {
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(number)) throw new RangeError(`not a safe integer: ${String(value)}`);
  return number;
}

/** A nullable `bigint` column as a number or `undefined`. */
export function optionalInt64(value: number | string | null): number | undefined {
  return value === null ? undefined : int64(value);
}

/** A Kysely row count (`numUpdatedRows`, `numDeletedRows`, …) as a number. */
export function affected(count: bigint | undefined): number {
  return Number(count ?? 0n);
}
