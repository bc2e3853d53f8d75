interface Node<V> {
  readonly key: string;
  value: V;
  older: Node<V> | undefined;
  newer: Node<V> | undefined;
}

/**
 * A map that keeps at most `capacity` entries and forgets the least recently used one first. Every detector store is
 * built on it, so an attacker who sends events under endless fresh keys (addresses, account names, user agents)
 * cannot grow memory without bound; what they buy is the eviction of old, quiet keys.
 *
 * The recency order is a linked list rather than a `Map`'s insertion order: evicting from the front of a `Map` leaves
 * deleted slots that every later scan from the front walks again, which a flood turns into quadratic work.
 */
export class BoundedLru<V> {
  readonly #nodes = new Map<string, Node<V>>();
  readonly #capacity: number;
  #oldest: Node<V> | undefined;
  #newest: Node<V> | undefined;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#nodes.size;
  }

  /** The value, marked as most recently used. */
  get(key: string): V | undefined {
    const node = this.#nodes.get(key);
    if (node === undefined) return undefined;
    this.#unlink(node);
    this.#append(node);
    return node.value;
  }

  /** Whether the key is held, without changing its recency. */
  has(key: string): boolean {
    return this.#nodes.has(key);
  }

  /** Stores the value as most recently used, evicting the least recently used entries above the capacity. */
  set(key: string, value: V): void {
    const existing = this.#nodes.get(key);
    if (existing !== undefined) {
      existing.value = value;
      this.#unlink(existing);
      this.#append(existing);
      return;
    }
    const node: Node<V> = { key, value, older: undefined, newer: undefined };
    this.#nodes.set(key, node);
    this.#append(node);
    while (this.#nodes.size > this.#capacity && this.#oldest !== undefined) this.delete(this.#oldest.key);
  }

  delete(key: string): void {
    const node = this.#nodes.get(key);
    if (node === undefined) return;
    this.#unlink(node);
    this.#nodes.delete(key);
  }

  /** The least recently used entry. */
  oldest(): { readonly key: string; readonly value: V } | undefined {
    return this.#oldest;
  }

  #unlink(node: Node<V>): void {
    if (node.older === undefined) this.#oldest = node.newer;
    else node.older.newer = node.newer;
    if (node.newer === undefined) this.#newest = node.older;
    else node.newer.older = node.older;
    node.older = undefined;
    node.newer = undefined;
  }

  #append(node: Node<V>): void {
    node.older = this.#newest;
    if (this.#newest === undefined) this.#oldest = node;
    else this.#newest.newer = node;
    this.#newest = node;
  }
}
