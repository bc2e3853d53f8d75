import { emptyRootHash, nodeHash } from './hash.js';

interface Subtree {
  readonly size: number;
  readonly hash: Uint8Array;
}

/**
 * The RFC 9162 "compact range" of a tree: the roots of its perfect subtrees, largest first (one per set bit of the
 * size). Appending is O(log n) amortised and the root is O(log n), so the log never rehashes all leaves per append
 * (which would let a large log be slowed to a halt).
 */
export class CompactRange {
  readonly #stack: Subtree[] = [];
  #size = 0;

  /** Number of leaves. */
  get size(): number {
    return this.#size;
  }

  /** Adds one leaf hash at the right edge. */
  push(leaf: Uint8Array): void {
    let top: Subtree = { size: 1, hash: leaf };
    for (let below = this.#stack.at(-1); below !== undefined && below.size === top.size; below = this.#stack.at(-1)) {
      this.#stack.pop();
      top = { size: below.size * 2, hash: nodeHash(below.hash, top.hash) };
    }
    this.#stack.push(top);
    this.#size += 1;
  }

  /** MTH of the current size: the largest-power-of-two split of RFC 9162 §2.1.1 is exactly this right fold. */
  root(): Uint8Array {
    const last = this.#stack.at(-1);
    if (last === undefined) return emptyRootHash();
    let root = last.hash;
    for (let i = this.#stack.length - 2; i >= 0; i--) root = nodeHash((this.#stack[i] as Subtree).hash, root);
    return root;
  }
}
