import { systemClock, type Clock } from '../clock.js';
import { ConfigurationError } from '../errors.js';
import { securityEvent, type SecurityEvent } from '../events.js';
import { eventToJson, parseCanonicalEntry, writeCanonicalEntry, type AuditEntry } from './canonical.js';
import { signTreeHead, type CheckpointSigner, type SignedTreeHead } from './checkpoint.js';
import { CompactRange } from './compact-range.js';
import { AuditError } from './errors.js';
import { GENESIS_CHAIN_HASH, chainHash, leafHash, sameHash, toHex } from './hash.js';
import { consistencyPath, inclusionPath } from './merkle.js';
import { redactAuditEvent } from './redact.js';
import { auditEventClass, checkRetentionPolicy, prunedDigest, type AuditEventClass, type RetentionPolicy } from './retention.js';
import type { AuditRow, AuditStore, AuditTail } from './store.js';

/** Options for {@link AuditLog.open}. */
export interface AuditLogOptions {
  readonly store: AuditStore;
  /** Signs checkpoints: see {@link checkpointSigner}. */
  readonly signer: CheckpointSigner;
  readonly clock?: Clock;
  /** Most entries per transaction (group commit); default 1024. */
  readonly maxBatch?: number;
  /**
   * Signs a checkpoint this often (ms) when entries were added since the last one; default 60,000, 0 turns the timer
   * off. Entries after the newest checkpoint are the ones a database writer can rewrite undetected, so this bounds
   * that window in time. The timer does not keep the process alive.
   */
  readonly checkpointIntervalMs?: number;
  /** Told about a failed timed checkpoint (the next one retries); default: a process warning. */
  readonly onCheckpointError?: (error: unknown) => void;
}

/** What `append` acknowledges: the entry's seq and chain hash (hex), once durably committed. */
export interface AppendResult {
  readonly seq: number;
  readonly hash: string;
  /** How many subject/attribute values were redacted before hashing (see `redactAuditEvent`). */
  readonly redacted: number;
}

/** What {@link AuditLog.prune} removed. */
export interface PruneResult {
  readonly pruned: number;
  readonly byClass: Readonly<Partial<Record<AuditEventClass, number>>>;
  /** The `audit.pruned` entry, when anything was pruned. */
  readonly record?: AppendResult;
}

const DAY_MS = 86_400_000;

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
  /** For an `audit.pruned` entry: the entries its commit empties. */
  readonly prunes?: readonly number[];
  readonly redacted: number;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

const warn = (error: unknown): void => {
  process.emitWarning(`audit: a timed checkpoint failed: ${error instanceof Error ? error.message : String(error)}`, 'RampartAuditWarning');
};

/**
 * An append-only, tamper-evident audit log: each entry is hashed (RFC 8785 + RFC 9162 leaf), chained to all before
 * it, and added to a Merkle tree whose heads are signed. Appends are group-committed: while one batch is being
 * written, new appends queue and go out together as the next batch, and each is acknowledged only after its batch
 * committed, so an acknowledged entry is never lost to a crash.
 */
export class AuditLog {
  readonly #store: AuditStore;
  readonly #signer: CheckpointSigner;
  readonly #clock: Clock;
  readonly #maxBatch: number;
  readonly #range = new CompactRange();
  readonly #timer: NodeJS.Timeout | undefined;
  #nextSeq: number;
  #lastChain: Uint8Array;
  #committedChain: Uint8Array;
  #checkpointedSize: number;
  #queue: Pending[] = [];
  #writing: Promise<void> | undefined;
  #scheduled = false;
  #failure: unknown = undefined;
  #closed = false;
  #pruning: Promise<void> = Promise.resolve();

  private constructor(options: AuditLogOptions, tail: AuditTail, leaves: readonly Uint8Array[], checkpointedSize: number) {
    this.#store = options.store;
    this.#signer = options.signer;
    this.#clock = options.clock ?? systemClock;
    this.#maxBatch = options.maxBatch ?? 1024;
    for (const leaf of leaves) this.#range.push(leaf);
    this.#nextSeq = tail.nextSeq;
    this.#lastChain = tail.last?.chainHash ?? GENESIS_CHAIN_HASH;
    this.#committedChain = this.#lastChain;
    this.#checkpointedSize = checkpointedSize;
    const interval = options.checkpointIntervalMs ?? 60_000;
    if (interval > 0) {
      const onError = options.onCheckpointError ?? warn;
      this.#timer = setInterval(() => {
        if (this.#closed || this.#failure !== undefined || this.#nextSeq === this.#checkpointedSize) return;
        this.checkpoint().catch(onError);
      }, interval);
      this.#timer.unref();
    }
  }

  /**
   * Opens the log over `store`, continuing its chain. Refuses a store with missing or renumbered rows
   * (`AUDIT_STORE_CORRUPT`) rather than building new entries on a damaged history.
   */
  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const maxBatch = options.maxBatch ?? 1024;
    if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new ConfigurationError('audit: maxBatch must be a positive integer');
    const interval = options.checkpointIntervalMs ?? 60_000;
    if (!Number.isSafeInteger(interval) || interval < 0) throw new ConfigurationError('audit: checkpointIntervalMs must be a non-negative integer');
    await options.store.lockWriter?.();
    const tail = await options.store.tail();
    if (tail.count !== tail.nextSeq) throw new AuditError('AUDIT_STORE_CORRUPT', `store holds ${tail.count} rows for seq 0..${tail.nextSeq - 1}`);
    // O(n) once at open, so each append stays O(log n).
    const leaves = await options.store.leafHashes(0, tail.nextSeq);
    if (leaves.length !== tail.nextSeq) throw new AuditError('AUDIT_STORE_CORRUPT', `store holds ${leaves.length} of ${tail.nextSeq} leaves`);
    const heads = await options.store.checkpoints();
    return new AuditLog(options, tail, leaves, heads.at(-1)?.treeSize ?? 0);
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
    return this.#enqueue(event, undefined);
  }

  #enqueue(event: SecurityEvent, prunes: readonly number[] | undefined): Promise<AppendResult> {
    try {
      this.#assertUsable();
      const seq = this.#nextSeq;
      const at = new Date(this.#clock.now()).toISOString();
      const { event: clean, redacted } = redactAuditEvent(eventToJson(event));
      const canonical = writeCanonicalEntry({ seq, at, event: clean });
      const leaf = leafHash(canonical);
      const chain = chainHash(this.#lastChain, leaf);
      this.#nextSeq = seq + 1;
      this.#lastChain = chain;
      return new Promise<AppendResult>((resolve, reject) => {
        const row = { seq, at, canonical, leafHash: leaf, chainHash: chain };
        this.#queue.push(prunes === undefined ? { row, redacted, resolve, reject } : { row, prunes, redacted, resolve, reject });
        this.#schedule();
      });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #assertUsable(): void {
    if (this.#closed) throw new AuditError('AUDIT_CLOSED', 'the log is closed');
    if (this.#failure !== undefined) throw new AuditError('AUDIT_FAILED', 'an earlier batch failed to commit; reopen the log', { cause: this.#failure });
  }

  /** Starts a write at the end of this tick, so appends made in one tick share a transaction. */
  #schedule(): void {
    if (this.#writing !== undefined || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#writeNext();
    });
  }

  /** Writes queued batches one transaction at a time, in seq order, until the queue is empty. */
  #writeNext(): void {
    if (this.#writing !== undefined || this.#queue.length === 0) return;
    // A prune record commits alone, together with the removal it records.
    const pruneAt = this.#queue.findIndex((p) => p.prunes !== undefined);
    const batch = this.#queue.splice(0, pruneAt === 0 ? 1 : pruneAt > 0 ? Math.min(pruneAt, this.#maxBatch) : this.#maxBatch);
    const first = batch[0] as Pending;
    const write =
      first.prunes !== undefined && this.#store.appendPruning !== undefined
        ? this.#store.appendPruning([first.row], { seqs: first.prunes, by: first.row.seq })
        : this.#store.append(batch.map((p) => p.row));
    this.#writing = write.then(
      () => {
        this.#writing = undefined;
        for (const p of batch) this.#range.push(p.row.leafHash);
        this.#committedChain = (batch.at(-1) as Pending).row.chainHash;
        for (const p of batch) p.resolve({ seq: p.row.seq, hash: toHex(p.row.chainHash), redacted: p.redacted });
        this.#writeNext();
      },
      (cause: unknown) => {
        this.#writing = undefined;
        // The in-memory chain already runs past the store: refuse everything until reopened from the store.
        this.#failure = cause;
        const error = new AuditError('AUDIT_FAILED', 'the batch did not commit', { cause });
        for (const p of batch) p.reject(error);
        for (const p of this.#queue.splice(0)) p.reject(error);
      },
    );
  }

  /** Resolves once every append made so far has committed (or the log failed). */
  async #drain(): Promise<void> {
    this.#writeNext();
    while (this.#writing !== undefined) {
      await this.#writing;
      this.#writeNext();
    }
    if (this.#failure !== undefined) throw new AuditError('AUDIT_FAILED', 'the batch did not commit', { cause: this.#failure });
  }

  /** Commits pending appends, then signs and stores the head of the committed tree. */
  async checkpoint(): Promise<SignedTreeHead> {
    this.#assertUsable();
    return this.#checkpointNow();
  }

  async #checkpointNow(): Promise<SignedTreeHead> {
    await this.#drain();
    const size = this.#range.size;
    const head = signTreeHead(this.#signer, size, this.#range.root(), this.#committedChain, new Date(this.#clock.now()).toISOString());
    await this.#store.addCheckpoint(head);
    this.#checkpointedSize = Math.max(this.#checkpointedSize, size);
    return head;
  }

  /**
   * Removes the content of committed entries past their class's retention period ({@link RetentionPolicy}), keeping
   * their hashes so the chain, the tree, every proof and `verify()` still hold. Appends one `audit.pruned` entry with
   * the count and a digest of what it removed, committed in the same transaction as the removal: no entry can be
   * emptied without the signed record saying so. `audit.pruned` entries themselves, entries of unknown types and
   * entries whose stored hash does not match their text (evidence for `verify()`) are never pruned. Needs a store with
   * `appendPruning` (SQLite, PostgreSQL, memory), else `AUDIT_UNSUPPORTED`. Prunes run one at a time.
   */
  prune(policy: RetentionPolicy, options: { readonly now?: Date; readonly floorDays?: number } = {}): Promise<PruneResult> {
    const run = this.#pruning.then(() => this.#pruneNow(policy, options));
    this.#pruning = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #pruneNow(policy: RetentionPolicy, options: { readonly now?: Date; readonly floorDays?: number }): Promise<PruneResult> {
    this.#assertUsable();
    checkRetentionPolicy(policy, options.floorDays === undefined ? {} : { floorDays: options.floorDays });
    if (this.#store.appendPruning === undefined) throw new AuditError('AUDIT_UNSUPPORTED', 'this store cannot prune entries');
    await this.#drain();
    const now = options.now?.getTime() ?? this.#clock.now();
    const committed = this.#range.size;
    const pruned: { seq: number; leafHex: string }[] = [];
    const byClass: Partial<Record<AuditEventClass, number>> = {};
    for await (const page of this.#store.pages()) {
      for (const row of page) {
        if (row.prunedBy !== undefined || !(row.seq < committed) || !sameHash(leafHash(row.canonical), row.leafHash)) continue;
        let entry: AuditEntry;
        try {
          entry = parseCanonicalEntry(row.canonical);
        } catch {
          continue; // damaged: verify()'s to report, never erased here
        }
        if (entry.event.type === 'audit.pruned' || entry.seq !== row.seq) continue;
        const klass = auditEventClass(entry.event.type);
        const days = klass === undefined ? undefined : policy.days[klass];
        if (klass === undefined || days === undefined || Date.parse(entry.at) + days * DAY_MS > now) continue;
        pruned.push({ seq: row.seq, leafHex: toHex(row.leafHash) });
        byClass[klass] = (byClass[klass] ?? 0) + 1;
      }
    }
    if (pruned.length === 0) return { pruned: 0, byClass };
    const record = await this.#enqueue(
      securityEvent('audit.pruned', undefined, {
        count: pruned.length,
        firstSeq: (pruned[0] as { seq: number }).seq,
        lastSeq: (pruned.at(-1) as { seq: number }).seq,
        digest: prunedDigest(pruned),
        before: new Date(now).toISOString(),
        ...Object.fromEntries(Object.entries(byClass).map(([klass, count]) => [`${klass}Count`, count])),
      }),
      pruned.map((p) => p.seq),
    );
    return { pruned: pruned.length, byClass, record };
  }

  /**
   * The stored entry `seq`, parsed; `AUDIT_MALFORMED_ENTRY` if its stored text is not canonical, `AUDIT_PRUNED` if
   * retention removed its content.
   */
  async entry(seq: number): Promise<AuditRecord | undefined> {
    const row = await this.#store.row(seq);
    if (row === undefined) return undefined;
    if (row.prunedBy !== undefined) throw new AuditError('AUDIT_PRUNED', `entry ${seq} was pruned by entry ${row.prunedBy}`);
    const entry = parseCanonicalEntry(row.canonical);
    return { ...entry, canonical: row.canonical, leafHash: toHex(row.leafHash), chainHash: toHex(row.chainHash) };
  }

  async #leaves(treeSize: number): Promise<Uint8Array[]> {
    const leaves = await this.#store.leafHashes(0, treeSize);
    if (leaves.length !== treeSize) throw new AuditError('AUDIT_STORE_CORRUPT', `store holds ${leaves.length} of ${treeSize} leaves`);
    return leaves;
  }

  /** RFC 9162 §2.1.3 proof that entry `seq` is in the tree of `treeSize` entries (0 <= seq < treeSize <= size). */
  async inclusionProof(seq: number, treeSize: number): Promise<InclusionProof> {
    if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(treeSize) || seq < 0 || seq >= treeSize || treeSize > this.size) {
      throw new AuditError('AUDIT_OUT_OF_RANGE', `no inclusion proof for seq ${seq} in a tree of ${treeSize} (log size ${this.size})`);
    }
    return { leafIndex: seq, treeSize, path: inclusionPath(seq, await this.#leaves(treeSize)).map(toHex) };
  }

  /** RFC 9162 §2.1.4 proof that the tree of `firstSize` entries is a prefix of the tree of `secondSize` (0 < first < second <= size). */
  async consistencyProof(firstSize: number, secondSize: number): Promise<ConsistencyProof> {
    if (!Number.isSafeInteger(firstSize) || !Number.isSafeInteger(secondSize) || firstSize <= 0 || firstSize >= secondSize || secondSize > this.size) {
      throw new AuditError('AUDIT_OUT_OF_RANGE', `no consistency proof from ${firstSize} to ${secondSize} (log size ${this.size})`);
    }
    return { firstSize, secondSize, path: consistencyPath(firstSize, await this.#leaves(secondSize)).map(toHex) };
  }

  /** Commits pending appends, signs a final checkpoint, and closes the store. Idempotent. */
  async close(): Promise<SignedTreeHead | undefined> {
    if (this.#closed) return undefined;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    try {
      return this.#failure === undefined ? await this.#checkpointNow() : undefined;
    } finally {
      await this.#store.close();
    }
  }
}
