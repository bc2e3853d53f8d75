import { createHash } from 'node:crypto';

/**
 * A bounded map from SHA-256(token) to a verification result. Keying by a hash of the whole token (signature
 * included) means a hit requires the byte-identical token that was verified before: any change, even one bit of the
 * signature, misses and goes through full verification. Entries are dropped at their `exp`, when the key source's
 * generation changes (a key added, rotated or retired), and on {@link evict}.
 */
export class VerifiedTokenCache<T> {
  readonly #entries = new Map<string, { readonly value: T; readonly expiresAt: number }>();
  readonly #maxEntries: number;
  #generation: number;

  constructor(maxEntries: number, generation: number) {
    this.#maxEntries = maxEntries;
    this.#generation = generation;
  }

  static keyOf(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  /** The cached value, or `undefined` when absent, expired, or cached under another key-set generation. */
  get(key: string, nowSeconds: number, generation: number): T | undefined {
    if (generation !== this.#generation) {
      this.#entries.clear();
      this.#generation = generation;
      return undefined;
    }
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (nowSeconds >= entry.expiresAt) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Stores a value until `expiresAt` (seconds). The oldest entry goes first when the cache is full. */
  set(key: string, value: T, expiresAt: number, generation: number): void {
    if (generation !== this.#generation) {
      this.#entries.clear();
      this.#generation = generation;
    }
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAt });
  }

  evict(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
