import { emptyRootHash, nodeHash, sameHash } from './hash.js';

// RFC 9162 §2.1: Merkle Tree Hash, inclusion and consistency proofs over a list of *leaf hashes* (already
// `SHA-256(0x00 || entry)`). Sizes are JavaScript numbers: halving uses division, not `>>`, so trees past 2^31 work.

/** The largest power of two smaller than `n` (RFC 9162 §2.1.1 `k`), for n > 1. */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 9162 §2.1.1 MTH(D[n]) over leaf hashes. O(n); the log itself keeps a compact range instead. */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return emptyRootHash();
  return mth(leaves, 0, leaves.length);
}

function mth(leaves: readonly Uint8Array[], start: number, end: number): Uint8Array {
  const n = end - start;
  if (n === 1) return leaves[start] as Uint8Array;
  const k = split(n);
  return nodeHash(mth(leaves, start, start + k), mth(leaves, start + k, end));
}

/**
 * RFC 9162 §2.1.3.1 PATH(m, D[n]): the audit path proving leaf `m` is in the tree of the given leaves, leaf to root.
 * Lets a client check one entry against a signed tree head without trusting or downloading the rest of the log.
 */
export function inclusionPath(index: number, leaves: readonly Uint8Array[]): Uint8Array[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leaves.length) throw new RangeError('leaf index outside the tree');
  const path: Uint8Array[] = [];
  pathOf(index, leaves, 0, leaves.length, path);
  return path;
}

function pathOf(m: number, leaves: readonly Uint8Array[], start: number, end: number, out: Uint8Array[]): void {
  const n = end - start;
  if (n === 1) return;
  const k = split(n);
  if (m < k) {
    pathOf(m, leaves, start, start + k, out);
    out.push(mth(leaves, start + k, end));
  } else {
    pathOf(m - k, leaves, start + k, end, out);
    out.push(mth(leaves, start, start + k));
  }
}

/**
 * RFC 9162 §2.1.4.1 PROOF(m, D[n]) for 0 < m < n: proves the tree of size `m` is a prefix of the tree of size `n`,
 * so a log that rewrote or dropped history cannot show the same client two consistent heads.
 */
export function consistencyPath(first: number, leaves: readonly Uint8Array[]): Uint8Array[] {
  if (!Number.isSafeInteger(first) || first <= 0 || first >= leaves.length) throw new RangeError('consistency needs 0 < first < second');
  const path: Uint8Array[] = [];
  subproof(first, leaves, 0, leaves.length, true, path);
  return path;
}

function subproof(m: number, leaves: readonly Uint8Array[], start: number, end: number, complete: boolean, out: Uint8Array[]): void {
  const n = end - start;
  if (m === n) {
    if (!complete) out.push(mth(leaves, start, end));
    return;
  }
  const k = split(n);
  if (m <= k) {
    subproof(m, leaves, start, start + k, complete, out);
    out.push(mth(leaves, start + k, end));
  } else {
    subproof(m - k, leaves, start + k, end, false, out);
    out.push(mth(leaves, start, start + k));
  }
}

const lsb = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

/**
 * RFC 9162 §2.1.3.2, step by step: does `path` prove that `leaf` is leaf `index` of the tree of `treeSize` leaves
 * with root `root`? A forged or altered entry cannot produce a path to a root the log signed.
 */
export function verifyInclusion(leaf: Uint8Array, index: number, treeSize: number, path: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0) return false;
  // 1. leaf_index >= tree_size fails.
  if (index >= treeSize) return false;
  // 2.-3.
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  // 4.
  for (const p of path) {
    if (sn === 0) return false;
    if (lsb(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // 5.
  return sn === 0 && sameHash(r, root);
}

/**
 * RFC 9162 §2.1.4.2, step by step: does `path` prove the tree (`first`, `firstRoot`) is a prefix of (`second`,
 * `secondRoot`), for 0 < first < second? Catches a log that rewrote, dropped or reordered entries between two heads.
 */
export function verifyConsistency(
  first: number,
  second: number,
  path: readonly Uint8Array[],
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first <= 0 || first >= second) return false;
  // 1. An empty path fails.
  if (path.length === 0) return false;
  // 2. If first is an exact power of 2, prepend first_hash.
  const proof = isPowerOfTwo(first) ? [firstRoot, ...path] : [...path];
  // 3.
  let fn = first - 1;
  let sn = second - 1;
  // 4.
  while (lsb(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5.
  let fr = proof[0] as Uint8Array;
  let sr = fr;
  // 6.
  for (const c of proof.slice(1)) {
    if (sn === 0) return false;
    if (lsb(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // 7.
  return sameHash(fr, firstRoot) && sameHash(sr, secondRoot) && sn === 0;
}

function isPowerOfTwo(n: number): boolean {
  let x = n;
  while (x > 1 && x % 2 === 0) x /= 2;
  return x === 1;
}
