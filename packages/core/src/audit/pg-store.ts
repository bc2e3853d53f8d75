// Structural types only: core does not depend on `pg`; the caller passes a `pg.Pool` in and keeps owning it.
import { ConfigurationError } from '../errors.js';
import { MAX_PARAMETERS } from '../safe/sql/dialect.js';
import { pgQuery, type PgQueryable, type SqlRow } from '../safe/sql/drivers.js';
import type { SqlFragment } from '../safe/sql/fragment.js';
import { trustedIdentifierParts } from '../safe/sql/identifier.js';
import { sql } from '../safe/sql/sql.js';
import type { SignedTreeHead } from './checkpoint.js';
import { AuditError } from './errors.js';
import { AUDIT_PAGE_SIZE, type AuditPrune, type AuditRow, type AuditStore, type AuditTail } from './store.js';
import { storedBytes, storedInteger, storedText } from './stored.js';

/** A connection checked out of the pool (`pg.PoolClient`). */
export interface PgPoolClientLike extends PgQueryable {
  release(destroy?: boolean): void;
}

/** What `pg.Pool` provides. */
export interface PgPoolLike extends PgQueryable {
  connect(): Promise<PgPoolClientLike>;
}

/** Options for {@link PostgresAuditStore.open}. */
export interface PostgresAuditStoreOptions {
  /** Table name prefix, optionally schema-qualified (`audit.rampart`); default `rampart_audit` (tables `…_entries`, `…_checkpoints`). */
  readonly table?: string;
  /** How long a second writer waits for the log's writer lock before giving up (ms); default 10,000. */
  readonly lockTimeoutMs?: number;
}

const COLUMNS_PER_ROW = 5;
const ROWS_PER_STATEMENT = Math.floor(MAX_PARAMETERS.postgres / COLUMNS_PER_ROW);

function toRow(record: SqlRow): AuditRow {
  const row = { seq: storedInteger(record.seq), at: storedText(record.at), canonical: storedText(record.canonical), leafHash: storedBytes(record.leaf_hash), chainHash: storedBytes(record.chain_hash) };
  return record.pruned_by === null || record.pruned_by === undefined ? row : { ...row, prunedBy: storedInteger(record.pruned_by) };
}

function toHead(r: SqlRow): SignedTreeHead {
  return { treeSize: storedInteger(r.tree_size), rootHash: storedText(r.root_hash), chainHash: storedText(r.chain_hash), at: storedText(r.at), keyId: storedText(r.key_id), signature: storedText(r.signature) };
}

/**
 * The PostgreSQL {@link AuditStore}. Each batch is one transaction on a dedicated connection with
 * `synchronous_commit = on`, so an acknowledged entry is in the server's fsynced WAL (it survives a crash of the
 * writer and of the server). One writer per log: the log takes a session advisory lock before it reads the tail, so
 * a second process cannot continue the same chain from a stale tail; the lock dies with the writer's connection.
 * Values are always bound (the `sql` tag); table names come from configuration and are checked identifiers.
 */
export class PostgresAuditStore implements AuditStore {
  readonly #pool: PgPoolLike;
  readonly #entries: SqlFragment;
  readonly #checkpoints: SqlFragment;
  readonly #lockName: string;
  readonly #lockTimeoutMs: number;
  #writer: PgPoolClientLike | undefined;
  #closed = false;

  private constructor(pool: PgPoolLike, prefix: readonly string[], lockTimeoutMs: number) {
    this.#pool = pool;
    const name = (suffix: string): SqlFragment => {
      const parts = [...prefix.slice(0, -1), `${prefix.at(-1) as string}_${suffix}`];
      trustedIdentifierParts(parts.join('.'));
      return sql.identifier(parts.join('.'), parts);
    };
    this.#entries = name('entries');
    this.#checkpoints = name('checkpoints');
    this.#lockName = `rampart.audit:${prefix.join('.')}`;
    this.#lockTimeoutMs = lockTimeoutMs;
  }

  /** Creates the tables if needed and returns the store. The pool stays the caller's: `close()` does not end it. */
  static async open(pool: PgPoolLike, options: PostgresAuditStoreOptions = {}): Promise<PostgresAuditStore> {
    const table = options.table ?? 'rampart_audit';
    // Quoting would make any name safe in SQL; a plain name keeps operators' own queries and tools simple too.
    if (!/^(?:[A-Za-z_][A-Za-z0-9_]{0,47}\.)?[A-Za-z_][A-Za-z0-9_]{0,47}$/.test(table)) {
      throw new ConfigurationError('audit: table must be `name` or `schema.name`, each [A-Za-z_][A-Za-z0-9_]* of at most 48 characters');
    }
    const prefix = trustedIdentifierParts(table);
    const lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    if (!Number.isSafeInteger(lockTimeoutMs) || lockTimeoutMs < 1) throw new ConfigurationError('audit: lockTimeoutMs must be a positive integer');
    const store = new PostgresAuditStore(pool, prefix, lockTimeoutMs);
    await store.#createTables();
    return store;
  }

  async #createTables(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      // Serialise concurrent first starts: CREATE TABLE IF NOT EXISTS races on the catalog otherwise.
      await pgQuery(client, sql`SELECT pg_advisory_lock(hashtextextended(${`${this.#lockName}:schema`}, 0))`);
      await pgQuery(
        client,
        sql`CREATE TABLE IF NOT EXISTS ${this.#entries} (seq bigint PRIMARY KEY, at text NOT NULL, canonical text NOT NULL, leaf_hash bytea NOT NULL, chain_hash bytea NOT NULL)`,
      );
      // Tables created before retention existed lack the column.
      await pgQuery(client, sql`ALTER TABLE ${this.#entries} ADD COLUMN IF NOT EXISTS pruned_by bigint`);
      await pgQuery(
        client,
        sql`CREATE TABLE IF NOT EXISTS ${this.#checkpoints} (id bigserial PRIMARY KEY, tree_size bigint NOT NULL, root_hash text NOT NULL, chain_hash text NOT NULL, at text NOT NULL, key_id text NOT NULL, signature text NOT NULL)`,
      );
      await pgQuery(client, sql`SELECT pg_advisory_unlock(hashtextextended(${`${this.#lockName}:schema`}, 0))`);
    } finally {
      client.release(true);
    }
  }

  /**
   * Takes the log's writer lock on a dedicated connection (waiting up to `lockTimeoutMs` for a previous writer's
   * connection to go away). `AuditLog.open` calls this before reading the tail.
   */
  async lockWriter(): Promise<void> {
    if (this.#writer !== undefined) return;
    const client = await this.#pool.connect();
    try {
      // A durable acknowledgement needs the commit flushed: refuse to inherit `synchronous_commit = off` from the server.
      await pgQuery(client, sql`SELECT set_config('synchronous_commit', 'on', false), set_config('lock_timeout', ${`${this.#lockTimeoutMs}ms`}, false)`);
      await pgQuery(client, sql`SELECT pg_advisory_lock(hashtextextended(${this.#lockName}, 0))`);
    } catch (cause) {
      client.release(true);
      throw new AuditError('AUDIT_FAILED', 'another writer holds this audit log', { cause });
    }
    this.#writer = client;
  }

  async tail(): Promise<AuditTail> {
    const { rows } = await pgQuery(this.#pool, sql`SELECT COUNT(*)::text AS c, MAX(seq)::text AS m FROM ${this.#entries}`);
    const summary = rows[0] ?? {};
    const last = (await pgQuery(this.#pool, sql`SELECT * FROM ${this.#entries} ORDER BY seq DESC LIMIT 1`)).rows[0];
    return { count: storedInteger(summary.c), nextSeq: summary.m === null || summary.m === undefined ? 0 : storedInteger(summary.m) + 1, last: last === undefined ? undefined : toRow(last) };
  }

  #inserts(rows: readonly AuditRow[]): SqlFragment[] {
    const statements: SqlFragment[] = [];
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const values = rows
        .slice(i, i + ROWS_PER_STATEMENT)
        .map((row) => sql`(${row.seq}, ${row.at}, ${row.canonical}, ${Buffer.from(row.leafHash)}, ${Buffer.from(row.chainHash)})`);
      statements.push(sql`INSERT INTO ${this.#entries} (seq, at, canonical, leaf_hash, chain_hash) VALUES ${sql.join(values)}`);
    }
    return statements;
  }

  /** Runs `statements` as one transaction on the writer connection (a single statement is one already). */
  async #commit(statements: readonly SqlFragment[]): Promise<void> {
    if (this.#closed) throw new AuditError('AUDIT_CLOSED', 'the store is closed');
    await this.lockWriter();
    const writer = this.#writer as PgPoolClientLike;
    if (statements.length === 1) {
      await pgQuery(writer, statements[0] as SqlFragment);
      return;
    }
    await pgQuery(writer, sql`BEGIN`);
    try {
      for (const statement of statements) await pgQuery(writer, statement);
      await pgQuery(writer, sql`COMMIT`);
    } catch (error) {
      await pgQuery(writer, sql`ROLLBACK`).catch(() => undefined);
      throw error;
    }
  }

  async append(rows: readonly AuditRow[]): Promise<void> {
    await this.#commit(this.#inserts(rows));
  }

  async appendPruning(rows: readonly AuditRow[], prune: AuditPrune): Promise<void> {
    const updates: SqlFragment[] = [];
    for (let i = 0; i < prune.seqs.length; i += ROWS_PER_STATEMENT) {
      const seqs = prune.seqs.slice(i, i + ROWS_PER_STATEMENT);
      updates.push(sql`UPDATE ${this.#entries} SET canonical = '', pruned_by = ${prune.by} WHERE ${sql.in(sql`seq`, seqs)}`);
    }
    // Two statements at least: #commit wraps them in one transaction, so the record and the removal land together.
    await this.#commit([...this.#inserts(rows), ...updates]);
  }

  async row(seq: number): Promise<AuditRow | undefined> {
    const record = (await pgQuery(this.#pool, sql`SELECT * FROM ${this.#entries} WHERE seq = ${seq}`)).rows[0];
    return record === undefined ? undefined : toRow(record);
  }

  async *pages(): AsyncIterable<readonly AuditRow[]> {
    // Keyset pages on the primary key; the cursor is the raw value PostgreSQL returned.
    let records = (await pgQuery(this.#pool, sql`SELECT * FROM ${this.#entries} ORDER BY seq LIMIT ${AUDIT_PAGE_SIZE}`)).rows;
    while (records.length > 0) {
      yield records.map(toRow);
      if (records.length < AUDIT_PAGE_SIZE) return;
      const cursor = storedText((records.at(-1) as SqlRow).seq);
      records = (await pgQuery(this.#pool, sql`SELECT * FROM ${this.#entries} WHERE seq > ${cursor}::bigint ORDER BY seq LIMIT ${AUDIT_PAGE_SIZE}`)).rows;
    }
  }

  async leafHashes(start: number, end: number): Promise<Uint8Array[]> {
    const { rows } = await pgQuery(this.#pool, sql`SELECT leaf_hash FROM ${this.#entries} WHERE seq >= ${start} AND seq < ${end} ORDER BY seq`);
    return rows.map((record) => storedBytes(record.leaf_hash));
  }

  async addCheckpoint(head: SignedTreeHead): Promise<void> {
    await pgQuery(
      this.#writer ?? this.#pool,
      sql`INSERT INTO ${this.#checkpoints} (tree_size, root_hash, chain_hash, at, key_id, signature) VALUES (${head.treeSize}, ${head.rootHash}, ${head.chainHash}, ${head.at}, ${head.keyId}, ${head.signature})`,
    );
  }

  async checkpoints(): Promise<SignedTreeHead[]> {
    const { rows } = await pgQuery(this.#pool, sql`SELECT tree_size::text AS tree_size, root_hash, chain_hash, at, key_id, signature FROM ${this.#checkpoints} ORDER BY tree_size, id`);
    return rows.map(toHead);
  }

  /** Releases the writer connection (and with it the writer lock). The pool stays open. */
  close(): Promise<void> {
    this.#closed = true;
    // Destroyed, not returned to the pool: the session-level advisory lock must not outlive this store.
    this.#writer?.release(true);
    this.#writer = undefined;
    return Promise.resolve();
  }
}
