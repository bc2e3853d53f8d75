import type { SignedTreeHead } from './checkpoint.js';

/** One stored entry, as the store holds it (verify() trusts none of it). */
export interface AuditRow {
  readonly seq: number;
  readonly at: string;
  /** RFC 8785 text of `{ seq, at, event }`. */
  readonly canonical: string;
  /** `SHA-256(0x00 || canonical)`. */
  readonly leafHash: Uint8Array;
  /** `SHA-256(0x02 || previous chainHash || leafHash)`. */
  readonly chainHash: Uint8Array;
  /**
   * Set when retention removed the entry's content: the seq of the `audit.pruned` entry that did. `canonical` is then
   * empty and the stored leaf hash stands in for the text (the chain and the tree still hold).
   */
  readonly prunedBy?: number;
}

/** Entries whose content a retention prune removes, and the seq of the `audit.pruned` entry that records it. */
export interface AuditPrune {
  readonly seqs: readonly number[];
  readonly by: number;
}

/** What a store knows about its tail, read once when the log opens. */
export interface AuditTail {
  /** Number of rows. */
  readonly count: number;
  /** `MAX(seq) + 1`, 0 when empty. */
  readonly nextSeq: number;
  /** The row with the highest seq. */
  readonly last: AuditRow | undefined;
}

/**
 * Where the audit log keeps entries and checkpoints. Contract: `append` is atomic and durable when its promise
 * resolves (all rows or none, surviving a process kill), and reads return rows exactly as stored, with no gap-filling
 * or deduplication, so `verify()` sees what an attacker left. The log calls `append` once at a time, in seq order.
 */
export interface AuditStore {
  /**
   * Makes this store the log's only writer (for a store several processes can reach), so no second writer continues
   * the chain from a stale tail. `AuditLog.open` calls it before {@link tail}.
   */
  lockWriter?(): Promise<void>;
  tail(): Promise<AuditTail>;
  /** Adds rows in one transaction; resolves once they are durable. */
  append(rows: readonly AuditRow[]): Promise<void>;
  /**
   * Adds rows and, in the same transaction, empties the content of the entries `prune.seqs` and marks them pruned by
   * `prune.by` (one of the rows): the record and the removal commit together or not at all. Optional: without it the
   * store keeps everything and `AuditLog.prune` refuses.
   */
  appendPruning?(rows: readonly AuditRow[], prune: AuditPrune): Promise<void>;
  row(seq: number): Promise<AuditRow | undefined>;
  /**
   * Every row, in the store's order (ascending seq for a database; file order for a file), a page at a time, so a
   * walk over millions of rows holds one page in memory and pays one await per page, not per row.
   */
  pages(): AsyncIterable<readonly AuditRow[]>;
  /** Leaf hashes of rows with `start <= seq < end`, by ascending seq. */
  leafHashes(start: number, end: number): Promise<Uint8Array[]>;
  addCheckpoint(head: SignedTreeHead): Promise<void>;
  /** Every stored checkpoint, by ascending tree size. */
  checkpoints(): Promise<SignedTreeHead[]>;
  close(): Promise<void>;
}

/** Rows per page when a store reads the log for verify() or at open. */
export const AUDIT_PAGE_SIZE = 4096;

/**
 * An in-memory {@link AuditStore} for tests and short-lived processes. Nothing survives the process: use the SQLite
 * or PostgreSQL store for a trail that must outlive a crash.
 */
export class MemoryAuditStore implements AuditStore {
  readonly #rows: AuditRow[] = [];
  readonly #checkpoints: SignedTreeHead[] = [];

  tail(): Promise<AuditTail> {
    const last = this.#rows.at(-1);
    return Promise.resolve({ count: this.#rows.length, nextSeq: last === undefined ? 0 : last.seq + 1, last });
  }
  append(rows: readonly AuditRow[]): Promise<void> {
    const last = this.#rows.at(-1);
    const next = last === undefined ? 0 : last.seq + 1;
    if (rows.some((row, i) => row.seq !== next + i)) return Promise.reject(new RangeError('rows must continue the sequence'));
    this.#rows.push(...rows);
    return Promise.resolve();
  }
  async appendPruning(rows: readonly AuditRow[], prune: AuditPrune): Promise<void> {
    await this.append(rows);
    const targets = new Set(prune.seqs);
    this.#rows.forEach((row, i) => {
      if (targets.has(row.seq)) this.#rows[i] = { ...row, canonical: '', prunedBy: prune.by };
    });
  }
  row(seq: number): Promise<AuditRow | undefined> {
    return Promise.resolve(this.#rows.find((row) => row.seq === seq));
  }
  async *pages(): AsyncIterable<readonly AuditRow[]> {
    const snapshot = [...this.#rows];
    for (let i = 0; i < snapshot.length; i += AUDIT_PAGE_SIZE) yield await Promise.resolve(snapshot.slice(i, i + AUDIT_PAGE_SIZE));
  }
  leafHashes(start: number, end: number): Promise<Uint8Array[]> {
    return Promise.resolve(this.#rows.filter((row) => row.seq >= start && row.seq < end).map((row) => row.leafHash));
  }
  addCheckpoint(head: SignedTreeHead): Promise<void> {
    this.#checkpoints.push(head);
    this.#checkpoints.sort((a, b) => a.treeSize - b.treeSize);
    return Promise.resolve();
  }
  checkpoints(): Promise<SignedTreeHead[]> {
    return Promise.resolve([...this.#checkpoints]);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
