/*
 * The ports behind the detectors. They are shaped so a shared store can implement them atomically per call:
 * - `hit`:         Redis sorted set per key, score = time: ZADD, ZREMRANGEBYSCORE (-inf, now - window), ZCARD, ZRANGE 0 0
 *                  and -1 -1 WITHSCORES for the first/last times, PEXPIRE window (one MULTI or Lua script).
 * - `addDistinct`: sorted set per key, member = the distinct value, score = its last time (same commands), with
 *                  ZREMRANGEBYRANK to keep the member cap; for very large cardinalities, one HyperLogLog per time bucket
 *                  (PFADD key:bucket, PFCOUNT over the window's buckets) gives an approximate distinct count.
 * - `claim`:       SET key 1 NX PX ttl.
 * - `remember`:    sorted set per key, score = last use: ZADD returns whether the value was new, ZCARD whether the key
 *                  had history, ZREMRANGEBYRANK keeps the cap.
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
