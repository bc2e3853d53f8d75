import type Database from 'better-sqlite3';
import {
  CompiledQuery,
  SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';
import type { WalGroupCommit } from '@rampart/core/sqlite';

/** Prepared statements kept per connection: the server's queries are a few hundred distinct strings at most. */
const STATEMENT_CACHE_SIZE = 512;

/** What a statement run on the direct path gave: rows for a reader, the change count for a write. */
export interface DirectResult {
  readonly rows: unknown[];
  readonly changes: number;
}

/**
 * The dialect's way around Kysely's executor for statements already compiled (../db/prepared.ts): the same prepared
 * statement, connection queue and group commit, without the executor's per-query promises and objects (a tenth of a
 * login's event-loop work in a profile, docs/benchmarks.md). It never bypasses the queue: it runs a statement only
 * when the one connection is free (outside any transaction, where the statement is atomic by itself) or for the
 * caller that holds it (a {@link writeTransaction} on this connection); otherwise it answers `undefined` and the caller
 * takes Kysely's path.
 */
export class DirectSqlite {
  readonly #driver: DurableSqliteDriver;
  readonly #holders = new WeakSet<object>();

  constructor(driver: DurableSqliteDriver) {
    this.#driver = driver;
  }

  /**
   * Runs `sql` now if `db` may: the connection is free, or `db` is the transaction holding it. Resolves after the
   * write is on stable storage, as Kysely's path does; `undefined` when the caller must queue through Kysely.
   */
  run(db: object, sql: string, parameters: readonly unknown[]): Promise<DirectResult> | undefined {
    if (this.#holders.has(db)) return this.#driver.runHeld(sql, parameters);
    return this.#driver.runIfFree(sql, parameters);
  }

  /** Marks `db` (the Kysely instance bound to the held connection) as the holder, until {@link release}. */
  hold(db: object): void {
    this.#holders.add(db);
  }

  release(db: object): void {
    this.#holders.delete(db);
  }
}

/** The adapter of {@link DurableSqliteDialect}: Kysely's SQLite adapter, carrying the dialect's direct path. */
export class DurableSqliteAdapter extends SqliteAdapter {
  constructor(readonly direct: DirectSqlite) {
    super();
  }
}

/**
 * Kysely's SQLite dialect with three changes, all for a server that answers many requests on one event loop:
 *
 * - **Durability off the event loop.** A write outside a transaction, or a `COMMIT`, marks the connection; when it is
 *   released, the caller waits for the WAL group commit (core's `walGroupCommit`) — on libuv's pool, with the
 *   connection already free for the next query. A request is acknowledged only once its writes are on stable
 *   storage, as with `synchronous = FULL`, but the fsync no longer blocks every other request.
 * - **Prepared statements are kept.** Kysely's own driver prepares every query anew; compiling the same SQL for every
 *   request was the largest cost on the event loop after the fsync.
 * - **A direct path** for precompiled statements ({@link DirectSqlite}), carried by the adapter.
 *
 * Considered: Kysely's `SqliteDialect` with `onCreateConnection` (no hook after a commit or on release).
 */
export class DurableSqliteDialect implements Dialect {
  /** One driver per dialect: the adapter's direct path must reach the driver the Kysely instance queues on. */
  readonly #driver: DurableSqliteDriver;
  readonly #direct: DirectSqlite;

  constructor(database: Database.Database, durability: WalGroupCommit) {
    this.#driver = new DurableSqliteDriver(database, durability);
    this.#direct = new DirectSqlite(this.#driver);
  }

  createDriver(): Driver {
    return this.#driver;
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return new DurableSqliteAdapter(this.#direct);
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

class DurableSqliteDriver implements Driver {
  readonly #database: Database.Database;
  readonly #durability: WalGroupCommit;
  readonly #connection: DurableSqliteConnection;
  /** SQLite has one connection: callers queue for it. */
  #held: Promise<void> | undefined;
  #release: (() => void) | undefined;

  constructor(database: Database.Database, durability: WalGroupCommit) {
    this.#database = database;
    this.#durability = durability;
    this.#connection = new DurableSqliteConnection(database);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    while (this.#held !== undefined) await this.#held;
    this.#held = new Promise((resolve) => {
      this.#release = resolve;
    });
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  /** The direct path outside transactions: runs only while no one holds the connection (see {@link DirectSqlite}). */
  runIfFree(sql: string, parameters: readonly unknown[]): Promise<DirectResult> | undefined {
    if (this.#held !== undefined) return undefined;
    // Synchronous from here to the commit check: nothing else can take the connection in between.
    let result: DirectResult;
    try {
      result = this.#connection.executeDirect(sql, parameters);
    } catch (error) {
      // A refused statement outside a transaction wrote nothing: no sync to wait for.
      this.#connection.takeCommitted();
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (!this.#connection.takeCommitted()) return Promise.resolve(result);
    return this.#durability.sync().then(() => result);
  }

  /** The direct path for the transaction holding the connection: its commit is waited for on release. */
  runHeld(sql: string, parameters: readonly unknown[]): Promise<DirectResult> {
    return new Promise((resolve) => {
      resolve(this.#connection.executeDirect(sql, parameters));
    });
  }

  async releaseConnection(): Promise<void> {
    const committed = this.#connection.takeCommitted();
    const release = this.#release;
    this.#held = undefined;
    this.#release = undefined;
    release?.();
    // After the connection is free: the next caller's queries run while this one waits for the disk.
    if (committed) await this.#durability.sync();
  }

  async destroy(): Promise<void> {
    await this.#durability.close();
    this.#database.close();
  }
}

class DurableSqliteConnection implements DatabaseConnection {
  readonly #database: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  #committed = false;
  /** A statement that may write ran since the last commit (or it ran outside a transaction). */
  #wroteInTransaction = false;

  constructor(database: Database.Database) {
    this.#database = database;
  }

  /** Whether a write was committed since the last call. */
  takeCommitted(): boolean {
    const committed = this.#committed;
    this.#committed = false;
    return committed;
  }

  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#database.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.delete(this.#statements.keys().next().value as string);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs one statement synchronously; throws what SQLite throws. Tracks the write like {@link executeQuery}. */
  executeDirect(sql: string, parameters: readonly unknown[]): DirectResult {
    try {
      const statement = this.#prepare(sql);
      const result: DirectResult = statement.reader ? { rows: statement.all(parameters), changes: 0 } : { rows: [], changes: statement.run(parameters).changes };
      this.#track(statement);
      return result;
    } catch (error) {
      this.#track(undefined);
      throw error;
    }
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    try {
      const statement = this.#prepare(compiledQuery.sql);
      const parameters = compiledQuery.parameters as unknown[];
      let result: QueryResult<R>;
      if (statement.reader) {
        result = { rows: statement.all(parameters) as R[] };
      } else {
        const { changes, lastInsertRowid } = statement.run(parameters);
        result = { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
      }
      this.#track(statement);
      return Promise.resolve(result);
    } catch (error) {
      this.#track(undefined);
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Notes a write once it is committed. `readonly` is sqlite3_stmt_readonly(): false for anything that may write
   * (`INSERT … RETURNING` included) and true for `SELECT` and for `BEGIN`/`COMMIT`, which only time the writes of others.
   * A failed statement counts as a possible write: it may have been a COMMIT.
   */
  #track(statement: Database.Statement | undefined): void {
    if (statement === undefined || !statement.readonly) this.#wroteInTransaction = true;
    if (!this.#database.inTransaction && this.#wroteInTransaction) {
      this.#wroteInTransaction = false;
      this.#committed = true;
    }
  }

  streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiledQuery.query)) throw new Error('SQLite streams select queries only');
    // Not the cached statement: an open iterator keeps its statement busy.
    const rows = this.#database.prepare(compiledQuery.sql).iterate(compiledQuery.parameters);
    const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };
    const iterator: AsyncIterableIterator<QueryResult<R>> = {
      next: () => {
        const row = rows.next();
        return Promise.resolve(row.done === true ? finished : { done: false, value: { rows: [row.value as R] } });
      },
      // A consumer that stops early (break, throw) must release the statement.
      return: () => {
        rows.return?.();
        return Promise.resolve(finished);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

}
