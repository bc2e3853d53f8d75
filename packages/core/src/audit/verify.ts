import type { KeyObject } from 'node:crypto';
import { parseCanonicalEntry, type AuditEntry } from './canonical.js';
import { verifyTreeHead, type SignedTreeHead } from './checkpoint.js';
import { CompactRange } from './compact-range.js';
import { GENESIS_CHAIN_HASH, HASH_LENGTH, chainHash, fromHex, leafHash, sameHash, toHex } from './hash.js';
import { AuditLog, type ConsistencyProof, type InclusionProof } from './log.js';
import { verifyConsistency, verifyInclusion } from './merkle.js';
import { prunedDigest } from './retention.js';
import { framedAt, framedSeq } from './row-check.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { defaultVerifyWorkers, parallelPass } from './verify-parallel.js';
import type { AuditStore } from './store.js';

/** What was wrong at `position`. */
export type TamperProblem = 'modified' | 'deleted' | 'inserted' | 'reordered' | 'truncated' | 'bad_checkpoint';

/** The outcome of {@link verify}. */
export type AuditVerification =
  | { readonly ok: true; readonly entries: number; readonly checkpoints: number }
  | {
      readonly ok: false;
      /** The first bad seq; for `bad_checkpoint`, the tree size the checkpoint claims. */
      readonly position: number;
      readonly problem: TamperProblem;
      /** For operators: what did not match. */
      readonly detail: string;
    };

/** Options for {@link verify}. */
export interface VerifyOptions {
  /** Ed25519 public key(s) that may have signed checkpoints (several across a key rotation). */
  readonly publicKey: KeyObject | readonly KeyObject[];
  /**
   * Checkpoints kept outside the store (published, sent to a witness, in another system). Only these catch an
   * attacker who also deleted the stored checkpoints, or who rewrote the whole tail.
   */
  readonly checkpoints?: readonly SignedTreeHead[];
  /**
   * Also rebuild the Merkle tree and check each head's root (one more hash per entry). Not needed to detect tampering
   * with entries — a head's signed chain hash already pins every entry below it — but it checks that the roots the
   * signer published (which clients' inclusion proofs rest on) match the entries. Default false.
   */
  readonly recomputeRoots?: boolean;
  /**
   * Threads for a file-backed SQLite store (default: every core, at most 4; 0 or 1 = none). Each checks a range of
   * rows on its own connection; any doubt sends verify() to the sequential walk, which alone reports problems.
   */
  readonly workers?: number;
}

const fail = (position: number, problem: TamperProblem, detail: string): AuditVerification => ({ ok: false, position, problem, detail });

function parsed(canonical: string): AuditEntry | undefined {
  try {
    return parseCanonicalEntry(canonical);
  } catch {
    return undefined;
  }
}

/** Signed heads, sorted by size; checked in order as the walk passes their size. */
class HeadChecker {
  readonly #heads: readonly SignedTreeHead[];
  readonly #publicKey: KeyObject | readonly KeyObject[];
  readonly #range: CompactRange | undefined;
  #index = 0;
  /** Size of the largest head that matched. */
  #verifiedSize = 0;
  /** A head problem is held back while the walk goes on: a row-level finding names its position exactly, whereas a
   * head mismatch only bounds it. The head wins when all it covers lies before the row-level finding. */
  problem: AuditVerification | undefined;
  #problemEnd = 0;

  constructor(heads: readonly SignedTreeHead[], options: VerifyOptions) {
    this.#heads = heads;
    this.#publicKey = options.publicKey;
    this.#range = options.recomputeRoots === true ? new CompactRange() : undefined;
  }

  get count(): number {
    return this.#heads.length;
  }

  /** Next size at which a head must be checked (Infinity when none is left). */
  get nextSize(): number {
    return this.#heads[this.#index]?.treeSize ?? Number.POSITIVE_INFINITY;
  }

  push(leaf: Uint8Array): void {
    this.#range?.push(leaf);
  }

  /** Checks every head of size <= `size`, given the chain hash after `size` entries. */
  check(size: number, chain: Uint8Array): void {
    for (let head = this.#heads[this.#index]; head !== undefined && head.treeSize <= size; head = this.#heads[++this.#index]) {
      if (this.problem !== undefined) continue;
      this.#problemEnd = head.treeSize;
      if (!verifyTreeHead(head, this.#publicKey)) {
        this.problem = fail(head.treeSize, 'bad_checkpoint', `checkpoint of size ${head.treeSize} has no valid signature by a trusted key`);
      } else if (!sameHash(fromHex(head.chainHash) as Uint8Array, chain) || (this.#range !== undefined && !sameHash(fromHex(head.rootHash) as Uint8Array, this.#range.root()))) {
        const from = this.#verifiedSize;
        this.problem = fail(from, 'modified', `entries ${from}..${head.treeSize - 1} do not match the signed head of size ${head.treeSize}`);
      } else {
        this.#verifiedSize = head.treeSize;
      }
    }
  }

  pick(rowProblem: AuditVerification): AuditVerification {
    return this.problem !== undefined && !rowProblem.ok && this.#problemEnd <= rowProblem.position ? this.problem : rowProblem;
  }

  /** Heads beyond the last entry: the tail was truncated (or the head is forged). */
  beyond(entries: number): AuditVerification | undefined {
    if (this.problem !== undefined) return this.problem;
    for (const head of this.#heads.slice(this.#index)) {
      if (!verifyTreeHead(head, this.#publicKey)) return fail(head.treeSize, 'bad_checkpoint', `checkpoint of size ${head.treeSize} has no valid signature by a trusted key`);
      return fail(entries, 'truncated', `a checkpoint covers ${head.treeSize} entries but only ${entries} remain`);
    }
    return undefined;
  }
}

function framed(canonical: string, at: string, seq: number): boolean {
  return framedAt(canonical, at) && framedSeq(canonical, seq);
}

/**
 * Recomputes the whole log from the stored canonical text and checks it against what is stored and signed: each
 * entry's leaf hash, chain hash, seq and time, and each checkpoint's signature and signed chain hash (and, with
 * `recomputeRoots`, its Merkle root). Detects an attacker with write access to the database who modifies, deletes,
 * inserts or reorders entries, truncates the tail under a checkpoint, or forges a checkpoint; names the first bad
 * position. Cannot detect entries added or removed after the newest checkpoint by someone who recomputes the
 * (unkeyed) hashes: checkpoint often and keep heads elsewhere.
 */
export async function verify(source: AuditLog | AuditStore, options: VerifyOptions): Promise<AuditVerification> {
  const store = source instanceof AuditLog ? source.store : source;
  const heads = [...(await store.checkpoints()), ...(options.checkpoints ?? [])].sort((a, b) => a.treeSize - b.treeSize);
  const malformed = heads.find((head) => !Number.isSafeInteger(head.treeSize) || head.treeSize < 0);
  if (malformed !== undefined) return fail(0, 'bad_checkpoint', 'a checkpoint has no valid tree size');
  const workers = options.workers ?? defaultVerifyWorkers();
  if (workers >= 2 && options.recomputeRoots !== true && store instanceof SqliteAuditStore && store.path !== ':memory:') {
    const confirmed = await confirmInParallel(store, heads, options, workers);
    if (confirmed !== undefined) return confirmed;
  }
  const checker = new HeadChecker(heads, options);

  let expected = 0;
  let previous = GENESIS_CHAIN_HASH;
  let displaced: number | undefined;
  /** Pruned rows by the seq of the `audit.pruned` entry they name. */
  const prunedBy = new Map<number, { seq: number; leafHex: string }[]>();
  walk: for await (const page of store.pages()) {
    for (const row of page) {
      if (expected >= checker.nextSize) checker.check(expected, previous);
      if (row.seq !== expected) {
        if (!Number.isSafeInteger(row.seq) || row.seq < expected) {
          // A second row for a seq already seen (a file store, where seq is position): the extra row is at that seq.
          const at = Number.isSafeInteger(row.seq) && row.seq >= 0 ? row.seq : expected;
          return checker.pick(fail(at, 'inserted', `a second row claims seq ${at}`));
        }
        return checker.pick(fail(expected, 'deleted', `seq ${expected} is missing (next row is ${row.seq})`));
      }
      if (row.prunedBy !== undefined) {
        // Retention removed the text: the stored leaf hash stands in for it, and the prune record must account for it.
        const chain = chainHash(previous, row.leafHash);
        if (row.canonical !== '' || row.leafHash.length !== HASH_LENGTH || !(row.prunedBy > expected) || !sameHash(chain, row.chainHash)) {
          return checker.pick(fail(expected, 'modified', `entry ${expected} is marked pruned but its row does not hold`));
        }
        const group = prunedBy.get(row.prunedBy) ?? [];
        group.push({ seq: expected, leafHex: toHex(row.leafHash) });
        prunedBy.set(row.prunedBy, group);
        checker.push(row.leafHash);
        previous = chain;
        expected += 1;
        continue;
      }
      const leaf = leafHash(row.canonical);
      const chain = chainHash(previous, leaf);
      if (!sameHash(leaf, row.leafHash) || !sameHash(chain, row.chainHash) || !framed(row.canonical, row.at, expected)) {
        // Slow path: say exactly what is wrong, in the order an auditor reads it.
        const entry = parsed(row.canonical);
        if (entry === undefined) return checker.pick(fail(expected, 'modified', `entry ${expected} is not a canonical audit entry`));
        const claim = entry.seq;
        if (claim < expected) return checker.pick(fail(claim, 'inserted', `the entry committed as seq ${claim} sits at ${expected}: a row was inserted at ${claim}`));
        if (claim > expected) {
          displaced = claim;
          break walk;
        }
        if (entry.at !== row.at) return checker.pick(fail(expected, 'modified', `entry ${expected}: stored time differs from the hashed one`));
        if (!sameHash(leaf, row.leafHash)) return checker.pick(fail(expected, 'modified', `entry ${expected}: leaf hash does not match its text`));
        return checker.pick(fail(expected, 'modified', `entry ${expected}: chain hash does not follow from entry ${expected - 1}`));
      }
      checker.push(leaf);
      previous = chain;
      expected += 1;
    }
  }

  if (displaced !== undefined) {
    // An entry committed as a later seq sits here: reordered if this position's own entry sits later, deleted if gone.
    const position = expected;
    let elsewhere = false;
    for await (const page of store.pages()) if (page.some((row) => row.seq > position && parsed(row.canonical)?.seq === position)) elsewhere = true;
    return checker.pick(
      elsewhere
        ? fail(position, 'reordered', `the entry committed as seq ${displaced} sits at ${position}, and entry ${position} sits later`)
        : fail(position, 'deleted', `entry ${position} is gone and later entries were renumbered`),
    );
  }

  checker.check(expected, previous);
  const beyond = checker.beyond(expected);
  if (beyond !== undefined) return beyond;
  const unaccounted = await checkPruneRecords(store, prunedBy, expected);
  return unaccounted ?? { ok: true, entries: expected, checkpoints: checker.count };
}

/** The parallel pass joined with the head and prune checks: an `ok` result, or `undefined` for the sequential walk. */
async function confirmInParallel(store: SqliteAuditStore, heads: readonly SignedTreeHead[], options: VerifyOptions, workers: number): Promise<AuditVerification | undefined> {
  const running = parallelPass(store.path, heads.map((head) => head.treeSize), workers);
  // The signatures are checked here while the threads hash: this thread would only wait otherwise.
  const signed = heads.every((head) => verifyTreeHead(head, options.publicKey));
  const pass = await running;
  if (pass === undefined || !signed) return undefined;
  for (const head of heads) {
    const chain = pass.chainAt.get(head.treeSize);
    const claimed = fromHex(head.chainHash);
    if (chain === undefined || claimed === undefined || !sameHash(claimed, chain)) return undefined;
  }
  if ((await checkPruneRecords(store, pass.pruned, pass.entries)) !== undefined) return undefined;
  return { ok: true, entries: pass.entries, checkpoints: heads.length };
}

/**
 * Every row marked pruned must be accounted for by the `audit.pruned` entry it names: a verified entry, later than the
 * row, whose count and digest match exactly the rows marked with its seq. An attacker who empties a row (to hide it
 * as "expired") cannot make a digest signed into the chain cover it.
 */
async function checkPruneRecords(
  store: AuditStore,
  groups: ReadonlyMap<number, readonly { seq: number; leafHex: string }[]>,
  verified: number,
): Promise<AuditVerification | undefined> {
  for (const [by, rows] of [...groups].sort((a, b) => (a[1][0]?.seq ?? 0) - (b[1][0]?.seq ?? 0))) {
    const first = (rows[0] as { seq: number }).seq;
    // Only an entry the walk verified counts as a record.
    const record = by < verified ? await store.row(by) : undefined;
    const entry = record === undefined || record.prunedBy !== undefined ? undefined : parsed(record.canonical);
    const attributes = entry?.event.type === 'audit.pruned' ? entry.event.attributes : undefined;
    if (attributes === undefined || attributes.count !== rows.length || attributes.digest !== prunedDigest(rows)) {
      return fail(first, 'modified', `entries marked pruned by entry ${by} do not match its prune record`);
    }
  }
  return undefined;
}

/**
 * Checks, as a client holding only one entry's canonical text, a proof and a signed head, that the entry is in the
 * signed log: recomputes the leaf hash itself, so a forged or altered entry fails even with a genuine proof.
 */
export function checkInclusion(canonical: string, proof: InclusionProof, head: SignedTreeHead, publicKey: KeyObject | readonly KeyObject[]): boolean {
  if (!verifyTreeHead(head, publicKey) || proof.treeSize !== head.treeSize) return false;
  const path = proof.path.map(fromHex);
  const root = fromHex(head.rootHash);
  if (root === undefined || path.some((p) => p === undefined)) return false;
  return verifyInclusion(leafHash(canonical), proof.leafIndex, proof.treeSize, path as Uint8Array[], root);
}

/** Checks that the signed head `second` extends the signed head `first` without rewriting it (RFC 9162 §2.1.4.2). */
export function checkConsistency(proof: ConsistencyProof, first: SignedTreeHead, second: SignedTreeHead, publicKey: KeyObject | readonly KeyObject[]): boolean {
  if (!verifyTreeHead(first, publicKey) || !verifyTreeHead(second, publicKey)) return false;
  if (proof.firstSize !== first.treeSize || proof.secondSize !== second.treeSize) return false;
  const path = proof.path.map(fromHex);
  const a = fromHex(first.rootHash);
  const b = fromHex(second.rootHash);
  if (a === undefined || b === undefined || path.some((p) => p === undefined)) return false;
  return verifyConsistency(first.treeSize, second.treeSize, path as Uint8Array[], a, b);
}
