import type { RateDecision, RatePolicy } from './policy.js';

/**
 * Where rate-limit counters live. One method, and the algorithm runs inside it.
 *
 * ## Atomicity contract
 *
 * `consume` is one indivisible read-compute-write per key: of any number of concurrent calls for the same key, the
 * admitted ones are exactly those a single sequential run would admit. Check-then-update split across two calls
 * (read a counter, decide in the application, write it back) is not allowed: under concurrency it admits more than
 * the limit. The memory store is synchronous JavaScript with no `await` between read and write; the Redis store runs
 * the whole algorithm as one Lua script, which Redis executes without interleaving.
 *
 * A store may return synchronously (memory): the guard and the chain then stay synchronous. A store that cannot
 * answer throws or rejects; the guard's failure policy decides what that means for the request.
 */
export interface RateLimitStore {
  /** Consumes `cost` from `key`'s quota under `policy` if it fits, and says what happened. */
  consume(key: string, cost: number, policy: RatePolicy): RateDecision | Promise<RateDecision>;
  /** Forgets `key` (a successful login clears its failure counter). */
  reset(key: string): void | Promise<void>;
}
