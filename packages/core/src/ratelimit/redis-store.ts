import type { Cluster, Redis } from 'ioredis';
import { ConfigurationError, RampartError } from '../errors.js';
import { backoffMs, checkCost, checkPolicy, policyMs, type RateDecision, type RatePolicy } from './policy.js';
import { RATE_LIMIT_SCRIPT, RATE_LIMIT_SCRIPT_SHA } from './redis-script.js';
import type { RateLimitStore } from './store.js';

export interface RedisRateLimitStoreOptions {
  /** An ioredis client or cluster the application created (and closes). */
  readonly client: Redis | Cluster;
  /** Prefix of every key. Default `rl`. */
  readonly prefix?: string;
  /**
   * Longest wait for one consume, in ms, after which it fails (and the guard's failure policy applies). Default 250.
   * Without it a down Redis holds requests in ioredis' offline queue for as long as its retries last.
   */
  readonly timeoutMs?: number;
}

/** The store could not answer in time or at all. */
export class RateLimitStoreError extends RampartError {
  constructor(message: string, options?: ErrorOptions) {
    super('RATELIMIT_STORE_UNAVAILABLE', message, options);
  }
}

const PREFIX = /^[A-Za-z0-9:_.-]{1,64}$/;

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * Redis {@link RateLimitStore}, shared by every process: exact across processes because the whole algorithm runs
 * in one Lua script (atomic in Redis), in one round trip (`EVALSHA`, falling back to `EVAL` once when Redis has
 * lost its script cache after a restart or `SCRIPT FLUSH`), timed by Redis' `TIME`.
 *
 * Protects against limits that every additional process multiplies, against clock skew between application
 * servers, and against unbounded Redis memory: every key expires when its quota is full again. Keys are
 * `<prefix>:{<key>}`: one key per call, hash-tagged, so the script is always single-slot on Redis Cluster.
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: Redis | Cluster;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #inFlight = new Set<InFlight>();
  #watchdog: ReturnType<typeof setInterval> | undefined;

  constructor(options: RedisRateLimitStoreOptions) {
    this.#client = options.client;
    this.#prefix = options.prefix ?? 'rl';
    this.#timeoutMs = options.timeoutMs ?? 250;
    if (!PREFIX.test(this.#prefix)) throw new ConfigurationError('prefix must be 1–64 characters of [A-Za-z0-9:_.-]');
    if (!Number.isSafeInteger(this.#timeoutMs) || this.#timeoutMs < 1) throw new ConfigurationError('timeoutMs must be a positive integer');
  }

  /** The Redis key that holds `key`'s counter. */
  redisKey(key: string): string {
    return `${this.#prefix}:{${key}}`;
  }

  consume(key: string, cost: number, policy: RatePolicy): Promise<RateDecision> {
    checkPolicy(policy);
    checkCost(cost);
    const redisKey = this.redisKey(key);
    const args = scriptArgs(policy);
    const client = this.#client;
    const costArg = String(cost);
    // One promise from the client and one for the caller, and no per-call named closures: the check is on the hot
    // path, and each extra layer costs more than the check's own JavaScript.
    return new Promise<RateDecision>((resolve, reject) => {
      const call = new Pending(this.#inFlight, Date.now() + this.#timeoutMs, toDecision, policy.limit, resolve, reject);
      this.#watch();
      client.evalsha(RATE_LIMIT_SCRIPT_SHA, 1, redisKey, args[0], costArg, ...args.slice(1)).then(
        (reply) => {
          call.settle(reply);
        },
        (error: unknown) => {
          // EVAL both runs the script and puts it back in the cache, so the next call's EVALSHA succeeds.
          if (!isNoScript(error)) {
            call.fail(error);
            return;
          }
          client.eval(RATE_LIMIT_SCRIPT, 1, redisKey, args[0], costArg, ...args.slice(1)).then(
            (reply) => {
              call.settle(reply);
            },
            (retryError: unknown) => {
              call.fail(retryError);
            },
          );
        },
      );
    });
  }

  reset(key: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const call = new Pending(this.#inFlight, Date.now() + this.#timeoutMs, ignoreReply, 0, resolve, reject);
      this.#watch();
      this.#client.del(this.redisKey(key)).then(
        () => {
          call.settle(undefined);
        },
        (error: unknown) => {
          call.fail(error);
        },
      );
    });
  }

  /**
   * Starts the watchdog if it is not running. It rejects every call still in flight after `timeoutMs` (checking four
   * times per timeout): one timer for all calls instead of a timer per call, which at thousands of calls per second
   * would cost more than the rate-limit check itself.
   */
  #watch(): void {
    if (this.#watchdog !== undefined) return;
    this.#watchdog = setInterval(() => {
      const now = Date.now();
      for (const call of this.#inFlight) {
        if (call.deadline <= now) {
          call.reject(new RateLimitStoreError('Redis did not answer in time'));
        }
      }
      if (this.#inFlight.size === 0) {
        clearInterval(this.#watchdog);
        this.#watchdog = undefined;
      }
    }, Math.max(1, Math.floor(this.#timeoutMs / 4)));
    // The watchdog alone must not keep the process alive.
    this.#watchdog.unref();
  }
}

interface InFlight {
  readonly deadline: number;
  reject(error: Error): void;
}

/** One call in flight: settles its promise once, whichever comes first of the reply, an error or the watchdog. */
class Pending<T> implements InFlight {
  constructor(
    private readonly inFlight: Set<InFlight>,
    readonly deadline: number,
    private readonly read: (reply: unknown, limit: number) => T,
    private readonly limit: number,
    private readonly onValue: (value: T) => void,
    private readonly onError: (error: Error) => void,
  ) {
    inFlight.add(this);
  }

  settle(reply: unknown): void {
    if (!this.inFlight.delete(this)) return;
    try {
      this.onValue(this.read(reply, this.limit));
    } catch (error) {
      this.onError(error as Error);
    }
  }

  fail(error: unknown): void {
    if (this.inFlight.delete(this)) this.onError(new RateLimitStoreError('Redis refused the rate-limit call', { cause: error }));
  }

  reject(error: Error): void {
    this.inFlight.delete(this);
    this.onError(error);
  }
}

function ignoreReply(): void {
  // A reset has nothing to read from DEL's reply.
}

const argsCache = new WeakMap<RatePolicy, readonly [string, ...string[]]>();

/** The script's arguments for `policy` except the cost (which goes second), as strings, computed once per policy. */
function scriptArgs(policy: RatePolicy): readonly [string, ...string[]] {
  let args = argsCache.get(policy);
  if (args === undefined) {
    if (policy.algorithm === 'backoff') {
      const plan = backoffMs(policy);
      args = ['b', ...[plan.lockAfter, plan.forgetMs, plan.free, plan.lockMs, ...plan.delaysMs].map(String)];
    } else {
      args = [policy.algorithm === 'gcra' ? 'g' : 'w', String(policy.limit), String(policyMs(policy))];
    }
    argsCache.set(policy, args);
  }
  return args;
}

function toDecision(reply: unknown, limit: number): RateDecision {
  const [allowed, remaining, resetMs, waitMs] = Array.isArray(reply) ? (reply as unknown[]) : [];
  if (typeof allowed !== 'number' || typeof remaining !== 'number' || typeof resetMs !== 'number' || typeof waitMs !== 'number') {
    throw new RateLimitStoreError('unexpected reply from the rate-limit script');
  }
  const resetSeconds = Math.ceil(resetMs / 1000);
  if (allowed === 1) return { allowed: true, limit, remaining, resetSeconds };
  return { allowed: false, limit, remaining, resetSeconds, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
}
