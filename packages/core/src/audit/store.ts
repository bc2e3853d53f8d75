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
}

/**
 * Where the audit log keeps entries and checkpoints. Contract: `append` is atomic and durable when it returns (all
 * rows or none, surviving a process kill), and reads return rows in ascending `seq` exactly as stored, with no
 * gap-filling or deduplication, so `verify()` sees what an attacker left.
 */
export interface AuditStore {
  /** `MAX(seq) + 1`, 0 when empty. */
  nextSeq(): number;
  /** Number of rows. */
  count(): number;
  /** The row with the highest seq. */
  last(): AuditRow | undefined;
  /** Adds rows in one transaction. */
  append(rows: readonly AuditRow[]): void;
  row(seq: number): AuditRow | undefined;
  /** Every row by ascending seq. Do not call other methods while iterating. */
  rows(): Iterable<AuditRow>;
  /** Leaf hashes of rows with `start <= seq < end`, by ascending seq. */
  leafHashes(start: number, end: number): Uint8Array[];
  addCheckpoint(head: SignedTreeHead): void;
  /** Every stored checkpoint, by ascending tree size. */
  checkpoints(): SignedTreeHead[];
  close(): void;
}

/**
 * An in-memory {@link AuditStore} for tests and short-lived processes. Nothing survives the process: use the SQLite
 * store for a trail that must outlive a crash.
 */
export class MemoryAuditStore implements AuditStore {
  readonly #rows: AuditRow[] = [];
  readonly #checkpoints: SignedTreeHead[] = [];

  nextSeq(): number {
    return this.#rows.length === 0 ? 0 : (this.#rows.at(-1) as AuditRow).seq + 1;
  }
  count(): number {
    return this.#rows.length;
  }
  last(): AuditRow | undefined {
    return this.#rows.at(-1);
  }
  append(rows: readonly AuditRow[]): void {
    const next = this.nextSeq();
    rows.forEach((row, i) => {
      if (row.seq !== next + i) throw new RangeError('rows must continue the sequence');
    });
    this.#rows.push(...rows);
  }
  row(seq: number): AuditRow | undefined {
    return this.#rows.find((row) => row.seq === seq);
  }
  rows(): Iterable<AuditRow> {
    return [...this.#rows];
  }
  leafHashes(start: number, end: number): Uint8Array[] {
    return this.#rows.filter((row) => row.seq >= start && row.seq < end).map((row) => row.leafHash);
  }
  addCheckpoint(head: SignedTreeHead): void {
    this.#checkpoints.push(head);
    this.#checkpoints.sort((a, b) => a.treeSize - b.treeSize);
  }
  checkpoints(): SignedTreeHead[] {
    return [...this.#checkpoints];
  }
  close(): void {
    // Nothing to release.
  }
}
