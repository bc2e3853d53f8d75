import Database from 'better-sqlite3';
import { walGroupCommit, type WalGroupCommit } from '../sqlite/wal-group-commit.js';
import type { SignedTreeHead } from './checkpoint.js';
import { AUDIT_PAGE_SIZE, type AuditPrune, type AuditRow, type AuditStore, type AuditTail } from './store.js';
import { storedBytes, storedInteger, storedText } from './stored.js';

interface EntryRecord {
  seq: unknown;
  at: unknown;
  canonical: unknown;
  leaf_hash: unknown;
  chain_hash: unknown;
  pruned_by?: unknown;
}
interface CheckpointRecord {
  tree_size: unknown;
  root_hash: unknown;
  chain_hash: unknown;
  at: unknown;
  key_id: unknown;
  signature: unknown;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_entries (
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  canonical TEXT NOT NULL,
  leaf_hash BLOB NOT NULL,
  chain_hash BLOB NOT NULL,
  pruned_by INTEGER
);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tree_size INTEGER NOT NULL,
  root_hash TEXT NOT NULL,
  chain_hash TEXT NOT NULL,
  at TEXT NOT NULL,
  key_id TEXT NOT NULL,
  signature TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_checkpoints_size ON audit_checkpoints (tree_size);
`;


function makeRow(seq: unknown, at: unknown, canonical: unknown, leaf: unknown, chain: unknown, prunedBy: unknown): AuditRow {
  const base = { seq: storedInteger(seq), at: storedText(at), canonical: storedText(canonical), leafHash: storedBytes(leaf), chainHash: storedBytes(chain) };
  return prunedBy === null || prunedBy === undefined ? base : { ...base, prunedBy: storedInteger(prunedBy) };
}

function toRow(record: EntryRecord): AuditRow {
  return makeRow(record.seq, record.at, record.canonical, record.leaf_hash, record.chain_hash, record.pruned_by);
}

/** `seq, at, canonical, leaf_hash, chain_hash, pruned_by` as a raw row. */
type RawEntry = [unknown, unknown, unknown, unknown, unknown, unknown];

function rawToRow(record: RawEntry): AuditRow {
  return makeRow(record[0], record[1], record[2], record[3], record[4], record[5]);
}

function toHead(r: CheckpointRecord): SignedTreeHead {
  return { treeSize: storedInteger(r.tree_size), rootHash: storedText(r.root_hash), chainHash: storedText(r.chain_hash), at: storedText(r.at), keyId: storedText(r.key_id), signature: storedText(r.signature) };
}

/** Rows per multi-row INSERT (5 parameters each, far below SQLite's limit): one native call binds a chunk. */
const ROWS_PER_INSERT = 64;

/** better-sqlite3 binds Buffers as blobs; the log's hashes already are Buffers, so most need no copy. */
const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

/** Runs a synchronous better-sqlite3 call as the port's promise, turning a throw into a rejection. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * The embedded {@link AuditStore}: one SQLite file in WAL mode; a committed batch is in the fsynced WAL before `append`
 * resolves, so an acknowledged entry survives `kill -9` and power loss. The fsync is a group commit on libuv's pool
 * (`walGroupCommit`), not `synchronous = FULL`'s fsync on the event loop. better-sqlite3 is synchronous: each
 * statement runs to completion before its promise settles.
 */
export class SqliteAuditStore implements AuditStore {
  readonly #db: Database.Database;
  readonly #durability: WalGroupCommit;
  /** The file (or `':memory:'`), for readers that open their own connections (the parallel verify). */
  readonly path: string;
  readonly #appendAll: (rows: readonly AuditRow[]) => void;
  readonly #appendPruning: (rows: readonly AuditRow[], prune: AuditPrune) => void;
  readonly #firstPage: Database.Statement;
  readonly #nextPage: Database.Statement;

  /** Opens (creating if needed) the store at `path`, or an in-memory one for `':memory:'`. */
  constructor(path: string) {
    this.path = path;
    this.#db = new Database(path);
    if (path !== ':memory:') this.#db.pragma('journal_mode = WAL');
    this.#durability = walGroupCommit(this.#db);
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
    // Files created before retention existed lack the column.
    const columns = this.#db.prepare('PRAGMA table_info(audit_entries)').all() as { name: unknown }[];
    if (!columns.some((column) => column.name === 'pruned_by')) this.#db.exec('ALTER TABLE audit_entries ADD COLUMN pruned_by INTEGER');
    const insert = (count: number): Database.Statement =>
      this.#db.prepare(`INSERT INTO audit_entries (seq, at, canonical, leaf_hash, chain_hash) VALUES ${Array.from({ length: count }, () => '(?, ?, ?, ?, ?)').join(', ')}`);
    const one = insert(1);
    const chunk = insert(ROWS_PER_INSERT);
    const values: unknown[] = new Array<unknown>(ROWS_PER_INSERT * 5);
    this.#appendAll = this.#db.transaction((rows: readonly AuditRow[]) => {
      let i = 0;
      for (; i + ROWS_PER_INSERT <= rows.length; i += ROWS_PER_INSERT) {
        for (let j = 0; j < ROWS_PER_INSERT; j++) {
          const row = rows[i + j] as AuditRow;
          values[5 * j] = row.seq;
          values[5 * j + 1] = row.at;
          values[5 * j + 2] = row.canonical;
          values[5 * j + 3] = asBuffer(row.leafHash);
          values[5 * j + 4] = asBuffer(row.chainHash);
        }
        chunk.run(values);
      }
      for (; i < rows.length; i++) {
        const row = rows[i] as AuditRow;
        one.run(row.seq, row.at, row.canonical, asBuffer(row.leafHash), asBuffer(row.chainHash));
      }
    });
    const prune = this.#db.prepare("UPDATE audit_entries SET canonical = '', pruned_by = ? WHERE seq = ?");
    this.#appendPruning = this.#db.transaction((rows: readonly AuditRow[], pruning: AuditPrune) => {
      this.#appendAll(rows);
      for (const seq of pruning.seqs) prune.run(pruning.by, seq);
    });
    // Raw (array) rows: a walk over millions of rows skips building a keyed object per row.
    this.#firstPage = this.#db.prepare('SELECT seq, at, canonical, leaf_hash, chain_hash, pruned_by FROM audit_entries ORDER BY seq LIMIT ?').raw(true);
    this.#nextPage = this.#db.prepare('SELECT seq, at, canonical, leaf_hash, chain_hash, pruned_by FROM audit_entries WHERE seq > ? ORDER BY seq LIMIT ?').raw(true);
  }

  tail(): Promise<AuditTail> {
    return settle(() => {
      const { c, m } = this.#db.prepare('SELECT COUNT(*) AS c, MAX(seq) AS m FROM audit_entries').get() as { c: unknown; m: unknown };
      const record = this.#db.prepare('SELECT * FROM audit_entries ORDER BY seq DESC LIMIT 1').get() as EntryRecord | undefined;
      return { count: storedInteger(c), nextSeq: m === null ? 0 : storedInteger(m) + 1, last: record === undefined ? undefined : toRow(record) };
    });
  }
  async append(rows: readonly AuditRow[]): Promise<void> {
    await settle(() => {
      this.#appendAll(rows);
    });
    await this.#durability.sync();
  }
  async appendPruning(rows: readonly AuditRow[], prune: AuditPrune): Promise<void> {
    await settle(() => {
      this.#appendPruning(rows, prune);
    });
    await this.#durability.sync();
  }
  row(seq: number): Promise<AuditRow | undefined> {
    return settle(() => {
      const record = this.#db.prepare('SELECT * FROM audit_entries WHERE seq = ?').get(seq) as EntryRecord | undefined;
      return record === undefined ? undefined : toRow(record);
    });
  }
  async *pages(): AsyncIterable<readonly AuditRow[]> {
    // Keyset pages: the cursor is the raw seq value SQLite returned, so even a tampered, out-of-range seq pages on.
    let records = this.#firstPage.all(AUDIT_PAGE_SIZE) as RawEntry[];
    while (records.length > 0) {
      yield records.map(rawToRow);
      if (records.length < AUDIT_PAGE_SIZE) return;
      records = (await Promise.resolve(this.#nextPage.all((records.at(-1) as RawEntry)[0], AUDIT_PAGE_SIZE))) as RawEntry[];
    }
  }
  leafHashes(start: number, end: number): Promise<Uint8Array[]> {
    return settle(() => {
      const records = this.#db.prepare('SELECT leaf_hash FROM audit_entries WHERE seq >= ? AND seq < ? ORDER BY seq').all(start, end) as { leaf_hash: unknown }[];
      return records.map((record) => storedBytes(record.leaf_hash));
    });
  }
  async addCheckpoint(head: SignedTreeHead): Promise<void> {
    await settle(() => {
      this.#db
        .prepare('INSERT INTO audit_checkpoints (tree_size, root_hash, chain_hash, at, key_id, signature) VALUES (?, ?, ?, ?, ?, ?)')
        .run(head.treeSize, head.rootHash, head.chainHash, head.at, head.keyId, head.signature);
    });
    await this.#durability.sync();
  }
  checkpoints(): Promise<SignedTreeHead[]> {
    return settle(() => {
      const records = this.#db.prepare('SELECT * FROM audit_checkpoints ORDER BY tree_size, id').all() as CheckpointRecord[];
      return records.map(toHead);
    });
  }
  async close(): Promise<void> {
    await this.#durability.close();
    if (this.#db.open) this.#db.close();
  }
}
