import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompactRange } from './compact-range.js';
import { emptyRootHash, leafHash, nodeHash, toHex } from './hash.js';
import { consistencyPath, inclusionPath, merkleRoot, verifyConsistency, verifyInclusion } from './merkle.js';

const leavesOf = (n: number, tag = 'd'): Uint8Array[] => Array.from({ length: n }, (_, i) => leafHash(`${tag}${i}`));

/** Naive MTH, independent of merkle.ts: hash level by level, carrying an odd last node up unchanged. For RFC 9162
 * trees this gives the same root as the largest-power-of-two recursion. */
function naiveRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return emptyRootHash();
  let level = [...leaves];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? nodeHash(level[i]!, level[i + 1]!) : level[i]!);
    level = next;
  }
  return level[0]!;
}

/** Naive audit path over the same level-by-level tree: the sibling at each level, none where a node was carried up. */
function naivePath(index: number, leaves: readonly Uint8Array[]): string[] {
  const path: string[] = [];
  let level = [...leaves];
  let m = index;
  while (level.length > 1) {
    const sibling = m ^ 1;
    if (sibling < level.length) path.push(toHex(level[sibling]!));
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? nodeHash(level[i]!, level[i + 1]!) : level[i]!);
    level = next;
    m = Math.floor(m / 2);
  }
  return path;
}

function flipped(hash: Uint8Array, bit = 0): Uint8Array {
  const copy = new Uint8Array(hash);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

describe('RFC 9162 §2.1.5 example tree of 7 leaves', () => {
  const d = leavesOf(7);
  const [a, b, c, dd, e, f, j] = d as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const g = nodeHash(a, b);
  const h = nodeHash(c, dd);
  const i = nodeHash(e, f);
  const k = nodeHash(g, h);
  const l = nodeHash(i, j);
  const root = nodeHash(k, l);
  const hex = (xs: readonly Uint8Array[]) => xs.map(toHex);

  it('has the root drawn in the RFC', () => {
    expect(toHex(merkleRoot(d))).toBe(toHex(root));
  });
  it('gives the inclusion proofs the RFC lists', () => {
    expect(hex(inclusionPath(0, d))).toEqual(hex([b, h, l]));
    expect(hex(inclusionPath(3, d))).toEqual(hex([c, g, l]));
    expect(hex(inclusionPath(4, d))).toEqual(hex([f, j, k]));
    expect(hex(inclusionPath(6, d))).toEqual(hex([i, k]));
  });
  it('gives the consistency proofs the RFC lists', () => {
    expect(hex(consistencyPath(3, d))).toEqual(hex([c, dd, g, l]));
    expect(hex(consistencyPath(4, d))).toEqual(hex([l]));
    expect(hex(consistencyPath(6, d))).toEqual(hex([i, j, k]));
  });
  it('hashes the empty tree as SHA-256 of nothing', () => {
    expect(toHex(merkleRoot([]))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('every leaf and every consistency pair of trees of 1..9 leaves', () => {
  for (let n = 1; n <= 9; n++) {
    it(`size ${n}`, () => {
      const leaves = leavesOf(n);
      const root = naiveRoot(leaves);
      expect(toHex(merkleRoot(leaves))).toBe(toHex(root));
      const range = new CompactRange();
      for (const leaf of leaves) range.push(leaf);
      expect(toHex(range.root())).toBe(toHex(root));

      for (let m = 0; m < n; m++) {
        const path = inclusionPath(m, leaves);
        expect(path.map(toHex)).toEqual(naivePath(m, leaves));
        expect(verifyInclusion(leaves[m]!, m, n, path, root)).toBe(true);
        // Every wrong input fails: another leaf, another index, another size, a changed or missing path element.
        for (let other = 0; other < n; other++) if (other !== m) expect(verifyInclusion(leaves[other]!, m, n, path, root)).toBe(false);
        expect(verifyInclusion(leafHash('forged'), m, n, path, root)).toBe(false);
        // Against the head of another size (its root) the same path fails.
        expect(verifyInclusion(leaves[m]!, m, n + 1, path, naiveRoot([...leaves, leafHash('next')]))).toBe(false);
        expect(verifyInclusion(leaves[m]!, n, n, path, root)).toBe(false);
        for (let p = 0; p < path.length; p++) {
          const bad = path.map((x, q) => (q === p ? flipped(x) : x));
          expect(verifyInclusion(leaves[m]!, m, n, bad, root)).toBe(false);
        }
        if (path.length > 0) expect(verifyInclusion(leaves[m]!, m, n, path.slice(0, -1), root)).toBe(false);
        expect(verifyInclusion(leaves[m]!, m, n, [...path, root], root)).toBe(false);
      }

      for (let m = 1; m < n; m++) {
        const first = naiveRoot(leaves.slice(0, m));
        const path = consistencyPath(m, leaves);
        expect(verifyConsistency(m, n, path, first, root)).toBe(true);
        expect(verifyConsistency(m, n, path, flipped(first), root)).toBe(false);
        expect(verifyConsistency(m, n, path, first, flipped(root))).toBe(false);
        for (let p = 0; p < path.length; p++) {
          const bad = path.map((x, q) => (q === p ? flipped(x, 9) : x));
          expect(verifyConsistency(m, n, bad, first, root)).toBe(false);
        }
        // A rewritten history (leaf 0 changed) is not consistent with the old head.
        const rewritten = [leafHash('rewritten'), ...leaves.slice(1)];
        expect(verifyConsistency(m, n, consistencyPath(m, rewritten), first, naiveRoot(rewritten))).toBe(false);
        expect(verifyConsistency(m, n, [], first, root)).toBe(false);
      }
    });
  }
});

describe('properties', () => {
  const tree = fc.integer({ min: 1, max: 100 }).chain((n) => fc.tuple(fc.constant(n), fc.nat({ max: n - 1 }), fc.string()));

  it('compact range root equals MTH at every size', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 70 }), (items) => {
        const range = new CompactRange();
        const leaves: Uint8Array[] = [];
        for (const item of items) {
          range.push(leafHash(item));
          leaves.push(leafHash(item));
          if (toHex(range.root()) !== toHex(naiveRoot(leaves))) return false;
        }
        return range.size === items.length;
      }),
      { numRuns: 60 },
    );
  });

  it('an inclusion proof verifies for its leaf and fails for any other content', () => {
    fc.assert(
      fc.property(tree, ([n, m, other]) => {
        const leaves = leavesOf(n, 'p');
        const root = naiveRoot(leaves);
        const path = inclusionPath(m, leaves);
        const forged = leafHash(other);
        return verifyInclusion(leaves[m]!, m, n, path, root) && (toHex(forged) === toHex(leaves[m]!) || !verifyInclusion(forged, m, n, path, root));
      }),
      { numRuns: 100 },
    );
  });

  it('a consistency proof verifies between any two sizes and fails once any old leaf changes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 100 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n - 1 })).chain(([n2, m]) => fc.tuple(fc.constant(n2), fc.constant(m), fc.nat({ max: m - 1 })))),
        ([n, m, victim]) => {
          const leaves = leavesOf(n, 'c');
          const first = naiveRoot(leaves.slice(0, m));
          const ok = verifyConsistency(m, n, consistencyPath(m, leaves), first, naiveRoot(leaves));
          const rewritten = leaves.map((leaf, i) => (i === victim ? leafHash('evil') : leaf));
          const caught = !verifyConsistency(m, n, consistencyPath(m, rewritten), first, naiveRoot(rewritten));
          return ok && caught;
        },
      ),
      { numRuns: 100 },
    );
  });
});
