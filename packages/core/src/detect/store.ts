/*
 * The ports behind the detectors, shaped so a shared store can implement each call atomically (one Lua script per
 * call in redis-store.ts, which documents the data structures: a list of times per key for `hit`, members ordered by a
 * per-key sequence for `addDistinct` and `remember`, `SET NX PX` for `claim`). The memory and Redis stores run one
 * contract (store-contract.fixtures.ts) and must give the same answers for the same calls.
 */

/** A value or a promise of it: the memory store answers at once, a network store asynchronously. */
export type Awaitable<T> = T | Promise<T>;

/** The occurrences of one key inside its window, after recording the current one. Times are epoch milliseconds. */
export interface WindowHits {
  readonly count: number;
  readonly first: number;
  readonly last: number;
}

/** The distinct members of one key inside its window, after recording the current one. */
export interface DistinctHits {
  readonly distinct: number;
  /** Whether the current member was not yet in the window. */
  readonly added: boolean;
  readonly first: number;
  readonly last: number;
}

/**
 * Sliding-window counters shared by the detectors. Implementations must keep memory bounded (keys, occurrences per key
 * and members per key are capped; counts saturate at the caps rather than grow) and must expire by their clock.
 */
export interface WindowCounter {
  /** Records one occurrence of `key` now; returns the occurrences within the last `windowMs`. */
  hit(key: string, windowMs: number): Awaitable<WindowHits>;
  /** Records `member` under `key` now; returns the distinct members seen within the last `windowMs`. */
  addDistinct(key: string, member: string, windowMs: number): Awaitable<DistinctHits>;
  /**
   * Claims `key` for `ttlMs`: `true` for the first caller, `false` while an earlier claim lasts. This is what makes one
   * attack raise one alert per window, also across processes sharing the store.
   */
  claim(key: string, ttlMs: number): Awaitable<boolean>;
}

/** What {@link FirstSeenStore.remember} knew before the call. */
export interface FirstSeen {
  /** The key had at least one remembered value: without history there is nothing to compare with. */
  readonly hadHistory: boolean;
  /** The value was not among the key's remembered values. */
  readonly isNew: boolean;
}

/**
 * Values seen per key (devices and countries per account), bounded: a cap on keys and on values per key, least recently
 * used first out. An evicted account looks like one without history (no alert), an evicted device like a new one.
 */
export interface FirstSeenStore {
  remember(key: string, value: string): Awaitable<FirstSeen>;
}
