import { systemClock, type Clock } from '../clock.js';
import { ConfigurationError } from '../errors.js';
import type { SecurityEvent } from '../events.js';
import { canonicalEntry, eventToJson, parseCanonicalEntry, type AuditEntry } from './canonical.js';
import { signTreeHead, type CheckpointSigner, type SignedTreeHead } from './checkpoint.js';
import { CompactRange } from './compact-range.js';
import { AuditError } from './errors.js';
import { GENESIS_CHAIN_HASH, chainHash, leafHash, toHex } from './hash.js';
import { consistencyPath, inclusionPath } from './merkle.js';
import { redactAuditEvent } from './redact.js';
import type { AuditRow, AuditStore } from './store.js';

/** Options for {@link AuditLog.open}. */
export interface AuditLogOptions {
  readonly store: AuditStore;
  /** Signs checkpoints: see {@link checkpointSigner}. */
  readonly signer: CheckpointSigner;
  readonly clock?: Clock;
  /** Most entries per transaction (group commit); default 256. */
  readonly maxBatch?: number;
}

/** What `append` acknowledges: the entry's seq and chain hash (hex), once durably committed. */
export interface AppendResult {
  readonly seq: number;
  readonly hash: string;
  /** How many subject/attribute values were redacted before hashing (see `redactAuditEvent`). */
  readonly redacted: number;
}

/** A stored entry with its hashes (hex). */
export interface AuditRecord extends AuditEntry {
  readonly canonical: string;
  readonly leafHash: string;
  readonly chainHash: string;
}

/** RFC 9162 §2.1.3 inclusion proof, hashes in hex. */
export interface InclusionProof {
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly path: readonly string[];
}

/** RFC 9162 §2.1.4 consistency proof, hashes in hex. */
export interface ConsistencyProof {
  readonly firstSize: number;
  readonly secondSize: number;
  readonly path: readonly string[];
}

interface Pending {
  readonly row: AuditRow;
  readonly redacted: number;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * An append-only, tamper-evident audit log: each entry is hashed (RFC 8785 + RFC 9162 leaf), chained to all before
 * it, and added to a Merkle tree whose heads are signed. Appends made in the same tick share one transaction (group
 * commit) and are acknowledged only after it commits, so an acknowledged entry is never lost to a crash.
 */
export class AuditLog {
  readonly #store: AuditStore;
  readonly #signer: CheckpointSigner;
  readonly #clock: Clock;
  readonly #maxBatch: number;
  readonly #range = new CompactRange();
  #nextSeq: number;
  #lastChain: Uint8Array;
  #queue: Pending[] = [];
  #scheduled = false;
  #failure: unknown = undefined;
  #closed = false;

  private constructor(options: AuditLogOptions) {
    const maxBatch = options.maxBatch ?? 256;
    if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new ConfigurationError('audit: maxBatch must be a positive integer');
    this.#store = options.store;
    this.#signer = options.signer;
    this.#clock = options.clock ?? systemClock;
    this.#maxBatch = maxBatch;
    const next = this.#store.nextSeq();
    if (this.#store.count() !== next) throw new AuditError('AUDIT_STORE_CORRUPT', `store holds ${this.#store.count()} rows for seq 0..${next - 1}`);
    // O(n) once at open, so each append stays O(log n).
    for (const leaf of this.#store.leafHashes(0, next)) this.#range.push(leaf);
    this.#nextSeq = next;
    this.#lastChain = this.#store.last()?.chainHash ?? GENESIS_CHAIN_HASH;
  }

  /**
   * Opens the log over `store`, continuing its chain. Refuses a store with missing or renumbered rows
   * (`AUDIT_STORE_CORRUPT`) rather than building new entries on a damaged history.
   */
  static open(options: AuditLogOptions): AuditLog {
    return new AuditLog(options);
  }

  /** The store, for {@link verify} and for reading. */
  get store(): AuditStore {
    return this.#store;
  }

  /** Number of committed entries (the current tree size). */
  get size(): number {
    return this.#range.size;
  }

  /** MTH of the committed entries, hex. */
  rootHash(): string {
    return toHex(this.#range.root());
  }

  /**
   * Appends `event`, redacted and escaped first (always: the chain must never commit to a secret or a forged line).
   * Resolves after the transaction holding it committed; rejects with `AUDIT_UNREPRESENTABLE` for an
   * event JSON cannot carry exactly, `AUDIT_CLOSED` after close, `AUDIT_FAILED` if the store failed (then and after).
   */
  append(event: SecurityEvent): Promise<AppendResult> {
    try {
      this.#assertUsable();
      const seq = this.#nextSeq;
      const at = new Date(this.#clock.now()).toISOString();
      const { event: clean, redacted } = redactAuditEvent(eventToJson(event));
      const canonical = canonicalEntry({ seq, at, event: clean });
      const leaf = leafHash(canonical);
      const chain = chainHash(this.#lastChain, leaf);
      this.#nextSeq = seq + 1;
      this.#lastChain = chain;
      return new Promise<AppendResult>((resolve, reject) => {
        this.#queue.push({ row: { seq, at, canonical, leafHash: leaf, chainHash: chain }, redacted, resolve, reject });
        if (this.#queue.length >= this.#maxBatch) this.#flush();
        else if (!this.#scheduled) {
          this.#scheduled = true;
          setImmediate(() => {
            this.#flush();
          });
        }
      });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #assertUsable(): void {
    if (this.#closed) throw new AuditError('AUDIT_CLOSED', 'the log is closed');
    if (this.#failure !== undefined) throw new AuditError('AUDIT_FAILED', 'an earlier batch failed to commit; reopen the log', { cause: this.#failure });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    try {
      this.#store.append(batch.map((p) => p.row));
    } catch (cause) {
      // The in-memory chain already runs past the store: refuse everything until reopened from the store.
      this.#failure = cause;
      const error = new AuditError('AUDIT_FAILED', 'the batch did not commit', { cause });
      for (const p of batch) p.reject(error);
      for (const p of this.#queue.splice(0)) p.reject(error);
      return;
    }
    for (const p of batch) this.#range.push(p.row.leafHash);
    for (const p of batch) p.resolve({ seq: p.row.seq, hash: toHex(p.row.chainHash), redacted: p.redacted });
  }

  /** Commits pending appends, then signs and stores the head of the committed tree. */
  checkpoint(): Promise<SignedTreeHead> {
    try {
      this.#assertUsable();
      return Promise.resolve(this.#checkpointNow());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #checkpointNow(): SignedTreeHead {
    this.#flush();
    if (this.#failure !== undefined) throw new AuditError('AUDIT_FAILED', 'the batch did not commit', { cause: this.#failure });
    const head = signTreeHead(this.#signer, this.#range.size, this.#range.root(), new Date(this.#clock.now()).toISOString());
    this.#store.addCheckpoint(head);
    return head;
  }

  /** The stored entry `seq`, parsed; `AUDIT_MALFORMED_ENTRY` if its stored text is not canonical. */
  entry(seq: number): AuditRecord | undefined {
    const row = this.#store.row(seq);
    if (row === undefined) return undefined;
    const entry = parseCanonicalEntry(row.canonical);
    return { ...entry, canonical: row.canonical, leafHash: toHex(row.leafHash), chainHash: toHex(row.chainHash) };
  }

  #leaves(treeSize: number): Uint8Array[] {
    const leaves = this.#store.leafHashes(0, treeSize);
    if (leaves.length !== treeSize) throw new AuditError('AUDIT_STORE_CORRUPT', `store holds ${leaves.length} of ${treeSize} leaves`);
    return leaves;
  }

  /** RFC 9162 §2.1.3 proof that entry `seq` is in the tree of `treeSize` entries (0 <= seq < treeSize <= size). */
  inclusionProof(seq: number, treeSize: number): InclusionProof {
    if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(treeSize) || seq < 0 || seq >= treeSize || treeSize > this.size) {
      throw new AuditError('AUDIT_OUT_OF_RANGE', `no inclusion proof for seq ${seq} in a tree of ${treeSize} (log size ${this.size})`);
    }
    return { leafIndex: seq, treeSize, path: inclusionPath(seq, this.#leaves(treeSize)).map(toHex) };
  }

  /** RFC 9162 §2.1.4 proof that the tree of `firstSize` entries is a prefix of the tree of `secondSize` (0 < first < second <= size). */
  consistencyProof(firstSize: number, secondSize: number): ConsistencyProof {
    if (!Number.isSafeInteger(firstSize) || !Number.isSafeInteger(secondSize) || firstSize <= 0 || firstSize >= secondSize || secondSize > this.size) {
      throw new AuditError('AUDIT_OUT_OF_RANGE', `no consistency proof from ${firstSize} to ${secondSize} (log size ${this.size})`);
    }
    return { firstSize, secondSize, path: consistencyPath(firstSize, this.#leaves(secondSize)).map(toHex) };
  }

  /** Commits pending appends, signs a final checkpoint, and closes the store. Idempotent. */
  close(): Promise<SignedTreeHead | undefined> {
    if (this.#closed) return Promise.resolve(undefined);
    try {
      const head = this.#failure === undefined ? this.#checkpointNow() : undefined;
      return Promise.resolve(head);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.#closed = true;
      this.#store.close();
    }
  }
}
