import Database from 'better-sqlite3';
import type { SignedTreeHead } from './checkpoint.js';
import type { AuditRow, AuditStore } from './store.js';

interface EntryRecord {
  seq: unknown;
  at: unknown;
  canonical: unknown;
  leaf_hash: unknown;
  chain_hash: unknown;
}
interface CheckpointRecord {
  tree_size: unknown;
  root_hash: unknown;
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
  chain_hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tree_size INTEGER NOT NULL,
  root_hash TEXT NOT NULL,
  at TEXT NOT NULL,
  key_id TEXT NOT NULL,
  signature TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_checkpoints_size ON audit_checkpoints (tree_size);
`;

// Rows come from a database an attacker may have edited: coerce types so a wrong type reads as a mismatch, never a crash.
const bytes = (value: unknown): Uint8Array => (value instanceof Uint8Array ? new Uint8Array(value) : new Uint8Array(0));
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const integer = (value: unknown): number => (typeof value === 'number' && Number.isSafeInteger(value) ? value : typeof value === 'bigint' ? Number(value) : Number.NaN);

function toRow(record: EntryRecord): AuditRow {
  return { seq: integer(record.seq), at: text(record.at), canonical: text(record.canonical), leafHash: bytes(record.leaf_hash), chainHash: bytes(record.chain_hash) };
}

/**
 * The embedded {@link AuditStore}: one SQLite file in WAL mode with `synchronous = FULL`, so a committed batch is in
 * the fsynced WAL before `append` returns and an acknowledged entry survives `kill -9` and power loss.
 */
export class SqliteAuditStore implements AuditStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #appendAll: (rows: readonly AuditRow[]) => void;

  /** Opens (creating if needed) the store at `path`, or an in-memory one for `':memory:'`. */
  constructor(path: string) {
    this.#db = new Database(path);
    if (path !== ':memory:') this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
    this.#insert = this.#db.prepare('INSERT INTO audit_entries (seq, at, canonical, leaf_hash, chain_hash) VALUES (?, ?, ?, ?, ?)');
    this.#appendAll = this.#db.transaction((rows: readonly AuditRow[]) => {
      for (const row of rows) this.#insert.run(row.seq, row.at, row.canonical, Buffer.from(row.leafHash), Buffer.from(row.chainHash));
    });
  }

  nextSeq(): number {
    const record = this.#db.prepare('SELECT MAX(seq) AS m FROM audit_entries').get() as { m: unknown };
    return record.m === null ? 0 : integer(record.m) + 1;
  }
  count(): number {
    return integer((this.#db.prepare('SELECT COUNT(*) AS c FROM audit_entries').get() as { c: unknown }).c);
  }
  last(): AuditRow | undefined {
    const record = this.#db.prepare('SELECT * FROM audit_entries ORDER BY seq DESC LIMIT 1').get() as EntryRecord | undefined;
    return record === undefined ? undefined : toRow(record);
  }
  append(rows: readonly AuditRow[]): void {
    this.#appendAll(rows);
  }
  row(seq: number): AuditRow | undefined {
    const record = this.#db.prepare('SELECT * FROM audit_entries WHERE seq = ?').get(seq) as EntryRecord | undefined;
    return record === undefined ? undefined : toRow(record);
  }
  *rows(): Iterable<AuditRow> {
    for (const record of this.#db.prepare('SELECT * FROM audit_entries ORDER BY seq').iterate() as IterableIterator<EntryRecord>) yield toRow(record);
  }
  leafHashes(start: number, end: number): Uint8Array[] {
    const records = this.#db.prepare('SELECT leaf_hash FROM audit_entries WHERE seq >= ? AND seq < ? ORDER BY seq').all(start, end) as { leaf_hash: unknown }[];
    return records.map((record) => bytes(record.leaf_hash));
  }
  addCheckpoint(head: SignedTreeHead): void {
    this.#db
      .prepare('INSERT INTO audit_checkpoints (tree_size, root_hash, at, key_id, signature) VALUES (?, ?, ?, ?, ?)')
      .run(head.treeSize, head.rootHash, head.at, head.keyId, head.signature);
  }
  checkpoints(): SignedTreeHead[] {
    const records = this.#db.prepare('SELECT * FROM audit_checkpoints ORDER BY tree_size, id').all() as CheckpointRecord[];
    return records.map((r) => ({ treeSize: integer(r.tree_size), rootHash: text(r.root_hash), at: text(r.at), keyId: text(r.key_id), signature: text(r.signature) }));
  }
  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
