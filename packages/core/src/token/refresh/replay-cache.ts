import { systemClock, type Clock } from '../../clock.js';
import { ConfigurationError } from '../../errors.js';

/**
 * Remembers one-time values (a TOTP code per account and step, a WebAuthn challenge, a JWT `jti`) until they expire,
 * so that each is accepted once.
 *
 * ## Atomicity contract
 *
 * `checkAndRemember` is one indivisible "insert if absent or expired": of any number of concurrent calls with the same
 * key, exactly one resolves `true` until `expiresAt` has passed. Redis: `SET key 1 NX PXAT expiresAt` (OK → true).
 * SQL: `INSERT … ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay.expires_at <= now()
 * RETURNING key` (a row back → true).
 */
export interface ReplayCache {
  /**
   * `true` when `key` has not been seen (or its previous entry expired) and is now remembered until `expiresAt`
   * (epoch ms); `false` when it is a replay, or when the cache refuses to remember it (fail closed).
   */
  checkAndRemember(key: string, expiresAt: number): Promise<boolean>;
}

export interface MemoryReplayCacheOptions {
  readonly clock?: Clock;
  /** Most entries held at once. Default 100 000. */
  readonly maxEntries?: number;
  /** Longest key accepted (a longer one is refused). Default 512. */
  readonly maxKeyLength?: number;
}

/** Entries looked at per call, oldest first, to drop expired ones without a full scan. */
const SWEEP_PER_CALL = 4;

/**
 * In-memory {@link ReplayCache}: a single synchronous check-and-set (atomic in one process), bounded in size.
 *
 * Protects against replay of one-time values. Expired entries are evicted (a few per call, all of them when the
 * cache is full). When the cache is full of unexpired entries, new keys are refused rather than evicting a live
 * entry: evicting would let the evicted value be replayed, so the cache fails closed (principle 2 of the design).
 * Size `maxEntries` for the peak number of live one-time values.
 */
export class MemoryReplayCache implements ReplayCache {
  readonly #entries = new Map<string, number>();
  readonly #clock: Clock;
  readonly #maxEntries: number;
  readonly #maxKeyLength: number;

  constructor(options: MemoryReplayCacheOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#maxKeyLength = options.maxKeyLength ?? 512;
    if (!Number.isSafeInteger(this.#maxEntries) || this.#maxEntries < 1) throw new ConfigurationError('maxEntries must be a positive integer');
    if (!Number.isSafeInteger(this.#maxKeyLength) || this.#maxKeyLength < 1) throw new ConfigurationError('maxKeyLength must be a positive integer');
  }

  checkAndRemember(key: string, expiresAt: number): Promise<boolean> {
    return Promise.resolve(this.#checkAndRemember(key, expiresAt));
  }

  /** Entries currently held (expired ones may linger until swept). */
  get size(): number {
    return this.#entries.size;
  }

  #checkAndRemember(key: unknown, expiresAt: unknown): boolean {
    const now = this.#clock.now();
    // Something already expired has nothing left to protect and must not be accepted: refuse it.
    if (typeof key !== 'string' || key.length === 0 || key.length > this.#maxKeyLength) return false;
    if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt) || expiresAt <= now) return false;
    this.#sweep(now, SWEEP_PER_CALL);
    const seenUntil = this.#entries.get(key);
    if (seenUntil !== undefined && seenUntil > now) return false;
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) {
      this.#sweep(now, Infinity);
      if (this.#entries.size >= this.#maxEntries) return false;
    }
    this.#entries.set(key, expiresAt);
    return true;
  }

  #sweep(now: number, limit: number): void {
    let looked = 0;
    for (const [key, until] of this.#entries) {
      if (looked >= limit) return;
      looked += 1;
      if (until <= now) this.#entries.delete(key);
      else if (limit !== Infinity) return; // insertion order roughly tracks expiry; stop at the first live entry
    }
  }
}
