import { ConfigurationError } from '../errors.js';

/**
 * GCRA (the generic cell rate algorithm, a token bucket kept as one number per key): up to `limit` requests at once
 * (the burst), refilled continuously at `limit` per `periodSeconds` (the sustained rate). Exact: of any set of
 * requests, the ones admitted never exceed the bucket, to the millisecond.
 */
export interface GcraPolicy {
  readonly algorithm: 'gcra';
  /** Burst size, and the number of requests refilled per period. */
  readonly limit: number;
  /** Time for an empty bucket to refill completely. A whole number of milliseconds. */
  readonly periodSeconds: number;
}

/**
 * Sliding-window counter: two fixed windows, the previous one weighted by how much of it still overlaps the sliding
 * window. Approximate by design (it assumes the previous window's requests were evenly spread), and exact within
 * each fixed window: no fixed window ever admits more than `limit`.
 */
export interface SlidingWindowPolicy {
  readonly algorithm: 'sliding-window';
  readonly limit: number;
  /** Length of each window. A whole number of milliseconds. */
  readonly windowSeconds: number;
}

/**
 * Progressive back-off for failure counters (login attempts): each call counts one attempt; after `freeAttempts`
 * attempts the next one must wait `delaysSeconds[n]` (the last delay repeats), and after `lockAfter` attempts the
 * key is locked for `lockSeconds`. The count is forgotten after `forgetSeconds` without attempts, or on `reset`.
 */
export interface BackoffPolicy {
  readonly algorithm: 'backoff';
  readonly freeAttempts: number;
  readonly delaysSeconds: readonly number[];
  /** Attempts after which the key is locked; also the policy's `limit`. */
  readonly limit: number;
  readonly lockSeconds: number;
  readonly forgetSeconds: number;
}

export type RatePolicy = GcraPolicy | SlidingWindowPolicy | BackoffPolicy;

/** The answer of one atomic check-and-consume. */
export interface RateDecision {
  readonly allowed: boolean;
  /** The policy's limit (`q` of `RateLimit-Policy`). */
  readonly limit: number;
  /** Requests of cost 1 that would still be admitted right now, after this one (`r` of `RateLimit`). */
  readonly remaining: number;
  /** Whole seconds until the quota is fully available again (`t` of `RateLimit`). */
  readonly resetSeconds: number;
  /** When refused: whole seconds until a request of the same cost can be admitted (`Retry-After`). */
  readonly retryAfterSeconds?: number;
}

/** Largest limit × period (in ms) kept exact: integer arithmetic in doubles, in JavaScript and in Redis' Lua. */
const MAX_SCALED = 2 ** 50;

const validated = new WeakSet<RatePolicy>();

function periodMsOf(seconds: unknown, what: string): number {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) throw new ConfigurationError(`${what} must be a positive number`);
  const ms = Math.round(seconds * 1000);
  if (ms < 1 || Math.abs(ms - seconds * 1000) > 1e-6) throw new ConfigurationError(`${what} must be a whole number of milliseconds`);
  return ms;
}

/**
 * Checks a policy once and remembers it, so stores can accept policy objects from callers without re-validating on
 * the hot path. Rejects limits and periods whose arithmetic would lose exactness.
 */
export function checkPolicy(policy: RatePolicy): RatePolicy {
  if (validated.has(policy)) return policy;
  const limit: unknown = policy.limit;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) throw new ConfigurationError('limit must be a positive integer');
  let ms: number;
  if (policy.algorithm === 'gcra') ms = periodMsOf(policy.periodSeconds, 'periodSeconds');
  else if (policy.algorithm === 'backoff') ms = checkBackoff(policy);
  else if ((policy as { algorithm: unknown }).algorithm === 'sliding-window') ms = periodMsOf(policy.windowSeconds, 'windowSeconds');
  else throw new ConfigurationError('algorithm must be "gcra" or "sliding-window"');
  if (limit * ms > MAX_SCALED) throw new ConfigurationError('limit × period is too large to count exactly');
  validated.add(policy);
  return policy;
}

/** Validates a back-off policy; returns the scale (1) for the common range check. */
function checkBackoff(policy: BackoffPolicy): number {
  const free: unknown = policy.freeAttempts;
  if (typeof free !== 'number' || !Number.isSafeInteger(free) || free < 0 || free >= policy.limit) {
    throw new ConfigurationError('freeAttempts must be an integer from 0 to limit − 1');
  }
  if (!Array.isArray(policy.delaysSeconds) || policy.delaysSeconds.length > 32) throw new ConfigurationError('delaysSeconds must be a list of at most 32 delays');
  const delays = policy.delaysSeconds.map((delay, index) => periodMsOf(delay, `delaysSeconds[${index}]`));
  const lock = periodMsOf(policy.lockSeconds, 'lockSeconds');
  const forget = periodMsOf(policy.forgetSeconds, 'forgetSeconds');
  if (forget < lock || delays.some((delay) => delay > forget)) throw new ConfigurationError('forgetSeconds must be at least lockSeconds and every delay');
  if (forget > 2 ** 40) throw new ConfigurationError('forgetSeconds is too large');
  // Back-off never multiplies limit by time: the scaled-range check of the other algorithms does not apply.
  return 1;
}

/** Builds a checked back-off policy for failure counters (see {@link BackoffPolicy}). */
export function backoff(options: Omit<BackoffPolicy, 'algorithm'>): BackoffPolicy {
  return checkPolicy(Object.freeze({ algorithm: 'backoff', ...options, delaysSeconds: Object.freeze([...options.delaysSeconds]) })) as BackoffPolicy;
}

/** Builds a checked GCRA policy: a burst of `limit`, refilled at `limit` per `periodSeconds`. */
export function gcra(limit: number, periodSeconds: number): GcraPolicy {
  return checkPolicy(Object.freeze({ algorithm: 'gcra', limit, periodSeconds })) as GcraPolicy;
}

/** Builds a checked sliding-window policy: about `limit` per `windowSeconds`, never more than `limit` per fixed window. */
export function slidingWindow(limit: number, windowSeconds: number): SlidingWindowPolicy {
  return checkPolicy(Object.freeze({ algorithm: 'sliding-window', limit, windowSeconds })) as SlidingWindowPolicy;
}

/** The policy's period (GCRA), window (sliding window) or memory (back-off, `forgetSeconds`) in milliseconds. */
export function policyMs(policy: RatePolicy): number {
  if (policy.algorithm === 'gcra') return Math.round(policy.periodSeconds * 1000);
  if (policy.algorithm === 'sliding-window') return Math.round(policy.windowSeconds * 1000);
  return Math.round(policy.forgetSeconds * 1000);
}

/** The policy's period or window in whole seconds, rounded up (the `w` of `RateLimit-Policy`). */
export function policyWindowSeconds(policy: RatePolicy): number {
  return Math.ceil(policyMs(policy) / 1000);
}

/** Checks a per-request cost: a positive safe integer. */
export function checkCost(cost: unknown): number {
  if (typeof cost !== 'number' || !Number.isSafeInteger(cost) || cost < 1) throw new ConfigurationError('cost must be a positive integer');
  return cost;
}

/** A back-off policy in milliseconds, as the algorithms and the Redis script take it. */
export interface BackoffMs {
  readonly free: number;
  readonly delaysMs: readonly number[];
  readonly lockAfter: number;
  readonly lockMs: number;
  readonly forgetMs: number;
}

const plans = new WeakMap<BackoffPolicy, BackoffMs>();

/** The millisecond form of a back-off policy, computed once per policy object. */
export function backoffMs(policy: BackoffPolicy): BackoffMs {
  let plan = plans.get(policy);
  if (plan === undefined) {
    plan = {
      free: policy.freeAttempts,
      delaysMs: policy.delaysSeconds.map((delay) => Math.round(delay * 1000)),
      lockAfter: policy.limit,
      lockMs: Math.round(policy.lockSeconds * 1000),
      forgetMs: Math.round(policy.forgetSeconds * 1000),
    };
    plans.set(policy, plan);
  }
  return plan;
}
