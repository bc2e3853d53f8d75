import type { KeyObject } from 'node:crypto';
import { parseCanonicalEntry, type AuditEntry } from './canonical.js';
import { verifyTreeHead, type SignedTreeHead } from './checkpoint.js';
import { CompactRange } from './compact-range.js';
import { GENESIS_CHAIN_HASH, chainHash, fromHex, leafHash, sameHash } from './hash.js';
import { AuditLog, type ConsistencyProof, type InclusionProof } from './log.js';
import { verifyConsistency, verifyInclusion } from './merkle.js';
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
}

const fail = (position: number, problem: TamperProblem, detail: string): AuditVerification => ({ ok: false, position, problem, detail });

function parsed(canonical: string): AuditEntry | undefined {
  try {
    return parseCanonicalEntry(canonical);
  } catch {
    return undefined;
  }
}

/**
 * Recomputes the whole log from the stored canonical text and checks it against what is stored and signed: each
 * entry's canonical form, leaf hash, chain hash and seq, and each checkpoint's signature and root. Detects an attacker
 * with write access to the database who modifies, deletes, inserts or reorders entries, truncates the tail under a
 * checkpoint, or forges a checkpoint; names the first bad position. Cannot detect entries added or removed after the
 * newest checkpoint by someone who recomputes the (unkeyed) hashes: checkpoint often and keep heads elsewhere.
 */
export function verify(source: AuditLog | AuditStore, options: VerifyOptions): AuditVerification {
  const store = source instanceof AuditLog ? source.store : source;
  const heads = [...store.checkpoints(), ...(options.checkpoints ?? [])].sort((a, b) => a.treeSize - b.treeSize);
  const malformed = heads.find((head) => !Number.isSafeInteger(head.treeSize) || head.treeSize < 0);
  if (malformed !== undefined) return fail(0, 'bad_checkpoint', 'a checkpoint has no valid tree size');
  const range = new CompactRange();
  let verifiedSize = 0;
  let headIndex = 0;

  // A head problem is held back while the walk goes on: a row-level finding names its position exactly, whereas a
  // root mismatch only bounds it. The head wins when all it covers lies before the row-level finding.
  let headProblem: AuditVerification | undefined;
  let headEnd = 0;
  const pick = (rowProblem: AuditVerification): AuditVerification =>
    headProblem !== undefined && !rowProblem.ok && headEnd <= rowProblem.position ? headProblem : rowProblem;
  const checkHeads = (size: number): void => {
    for (let head = heads[headIndex]; head !== undefined && head.treeSize <= size; head = heads[++headIndex]) {
      if (headProblem !== undefined) continue;
      headEnd = head.treeSize;
      if (!verifyTreeHead(head, options.publicKey)) {
        headProblem = fail(head.treeSize, 'bad_checkpoint', `checkpoint of size ${head.treeSize} has no valid signature by a trusted key`);
      } else if (!sameHash(fromHex(head.rootHash) as Uint8Array, range.root())) {
        headProblem = fail(verifiedSize, 'modified', `entries ${verifiedSize}..${head.treeSize - 1} do not match the signed root of size ${head.treeSize}`);
      } else {
        verifiedSize = head.treeSize;
      }
    }
  };

  let expected = 0;
  let previous = GENESIS_CHAIN_HASH;
  let displaced: number | undefined;
  for (const row of store.rows()) {
    checkHeads(expected);
    if (!Number.isSafeInteger(row.seq) || row.seq < expected) return pick(fail(expected, 'inserted', `a second row claims seq ${expected}`));
    if (row.seq > expected) return pick(fail(expected, 'deleted', `seq ${expected} is missing (next row is ${row.seq})`));
    const entry = parsed(row.canonical);
    if (entry === undefined) return pick(fail(expected, 'modified', `entry ${expected} is not a canonical audit entry`));
    const claim = entry.seq;
    if (claim < expected) return pick(fail(claim, 'inserted', `the entry committed as seq ${claim} sits at ${expected}: a row was inserted at ${claim}`));
    if (claim > expected) {
      displaced = claim;
      break;
    }
    if (entry.at !== row.at) return pick(fail(expected, 'modified', `entry ${expected}: stored time differs from the hashed one`));
    const leaf = leafHash(row.canonical);
    if (!sameHash(leaf, row.leafHash)) return pick(fail(expected, 'modified', `entry ${expected}: leaf hash does not match its text`));
    const chain = chainHash(previous, leaf);
    if (!sameHash(chain, row.chainHash)) return pick(fail(expected, 'modified', `entry ${expected}: chain hash does not follow from entry ${expected - 1}`));
    range.push(leaf);
    previous = chain;
    expected += 1;
  }

  if (displaced !== undefined) {
    // An entry committed as a later seq sits here: reordered if this position's own entry sits later, deleted if gone.
    const position = expected;
    const elsewhere = [...store.rows()].some((row) => row.seq > position && parsed(row.canonical)?.seq === position);
    return pick(
      elsewhere
        ? fail(position, 'reordered', `the entry committed as seq ${displaced} sits at ${position}, and entry ${position} sits later`)
        : fail(position, 'deleted', `entry ${position} is gone and later entries were renumbered`),
    );
  }

  checkHeads(expected);
  if (headProblem !== undefined) return headProblem;
  for (const head of heads.slice(headIndex)) {
    if (!verifyTreeHead(head, options.publicKey)) return fail(head.treeSize, 'bad_checkpoint', `checkpoint of size ${head.treeSize} has no valid signature by a trusted key`);
    return fail(expected, 'truncated', `a checkpoint covers ${head.treeSize} entries but only ${expected} remain`);
  }
  return { ok: true, entries: expected, checkpoints: heads.length };
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
