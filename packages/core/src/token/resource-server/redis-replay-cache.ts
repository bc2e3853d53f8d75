import { systemClock, type Clock } from '../../clock.js';
import { ConfigurationError, RampartError } from '../../errors.js';
import type { ReplayCache } from '../refresh/replay-cache.js';

/**
 * The one command the cache sends, shaped as ioredis' `Redis` and `Cluster` have it (`SET key value PX ms NX`): any
 * client with this method fits, and this module loads no Redis driver itself.
 */
export interface RedisSetNxClient {
  set(key: string, value: string, millisecondsToken: 'PX', milliseconds: number, nx: 'NX'): Promise<'OK' | null>;
}

/** Redis did not answer in time, refused the command, or answered something `SET … NX` never returns. */
export class ReplayCacheUnavailableError extends RampartError {
  constructor(message: string, options?: ErrorOptions) {
    super('REPLAY_CACHE_UNAVAILABLE', message, options);
  }
}

export interface RedisReplayCacheOptions {
  /** An ioredis client or cluster the application created (and closes). */
  readonly client: RedisSetNxClient;
  /** Prefix of every key: 1–64 characters of `[A-Za-z0-9:_.-]`. Default `replay`. */
  readonly prefix?: string;
  /** Longest wait for one call, in ms, after which it fails with a {@link ReplayCacheUnavailableError}. Default 500. */
  readonly timeoutMs?: number;
  /** Longest key accepted (a longer one is refused). Default 512. */
  readonly maxKeyLength?: number;
  /** Turns `expiresAt` into a time-to-live. Default: the system clock. */
  readonly clock?: Clock;
}

const PREFIX = /^[A-Za-z0-9:_.-]{1,64}$/;

/**
 * A {@link ReplayCache} in Redis, shared by every instance of a service: a one-time value (a DPoP proof's `jti`, a
 * nonce) accepted by one instance is refused by all the others.
 *
 * Atomicity: one `SET key 1 PX ttl NX`, which Redis runs as a single step; of any number of concurrent calls with
 * the same key, across processes, exactly one gets `OK` (→ `true`), the others `nil` (→ `false`). The key expires by
 * itself when the value can no longer be accepted, so memory is bounded by the live values.
 *
 * Fails closed: a key that is empty, too long or already expired is refused (`false`), and when Redis does not answer
 * within `timeoutMs` (or errors) the call rejects with {@link ReplayCacheUnavailableError} instead of guessing: a
 * caller must refuse the one-time value then, never accept it.
 */
export class RedisReplayCache implements ReplayCache {
  readonly #client: RedisSetNxClient;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #maxKeyLength: number;
  readonly #clock: Clock;

  constructor(options: RedisReplayCacheOptions) {
    this.#client = options.client;
    this.#prefix = options.prefix ?? 'replay';
    this.#timeoutMs = options.timeoutMs ?? 500;
    this.#maxKeyLength = options.maxKeyLength ?? 512;
    this.#clock = options.clock ?? systemClock;
    if (typeof this.#client.set !== 'function') throw new ConfigurationError('client must be an ioredis client (or have its set method)');
    if (!PREFIX.test(this.#prefix)) throw new ConfigurationError('prefix must be 1–64 characters of [A-Za-z0-9:_.-]');
    if (!Number.isSafeInteger(this.#timeoutMs) || this.#timeoutMs < 1) throw new ConfigurationError('timeoutMs must be a positive integer');
    if (!Number.isSafeInteger(this.#maxKeyLength) || this.#maxKeyLength < 1) throw new ConfigurationError('maxKeyLength must be a positive integer');
  }

  /** The Redis key that remembers `key`. */
  redisKey(key: string): string {
    return `${this.#prefix}:${key}`;
  }

  async checkAndRemember(key: string, expiresAt: number): Promise<boolean> {
    if (typeof key !== 'string' || key.length === 0 || key.length > this.#maxKeyLength) return false;
    if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return false;
    const ttl = Math.ceil(expiresAt - this.#clock.now());
    // Something already expired has nothing left to protect and must not be accepted.
    if (ttl <= 0) return false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new ReplayCacheUnavailableError(`Redis did not answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
    });
    let reply: unknown;
    try {
      reply = await Promise.race([this.#client.set(this.redisKey(key), '1', 'PX', ttl, 'NX'), timeout]);
    } catch (error) {
      if (error instanceof ReplayCacheUnavailableError) throw error;
      throw new ReplayCacheUnavailableError('Redis refused SET NX', { cause: error });
    } finally {
      clearTimeout(timer);
    }
    if (reply === 'OK') return true;
    if (reply === null) return false;
    throw new ReplayCacheUnavailableError('unexpected reply to SET NX');
  }
}
