import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import { ConfigurationError, RampartError } from '../errors.js';
import { positive } from './detector.js';
import type { DistinctHits, FirstSeen, FirstSeenStore, WindowCounter, WindowHits } from './store.js';

/**
 * The two commands the stores send, shaped as ioredis' `Redis` and `Cluster` have them: any client with these methods
 * fits, and this module loads no Redis driver itself.
 */
export interface RedisScriptClient {
  evalsha(sha1: string, numkeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numkeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

/** Redis did not answer in time, refused the call or answered something the scripts never return. */
export class DetectorStoreError extends RampartError {
  constructor(message: string, options?: ErrorOptions) {
    super('DETECT_STORE_UNAVAILABLE', message, options);
  }
}

export interface RedisWindowCounterOptions {
  /** An ioredis client or cluster the application created (and closes). */
  readonly client: RedisScriptClient;
  /** Prefix of every key: 1–64 characters of `[A-Za-z0-9:_.-]`. Default `detect`. */
  readonly prefix?: string;
  /** Occurrences kept per key; counts saturate here. Default 1 000, as in memory. */
  readonly maxHitsPerKey?: number;
  /** Distinct members kept per key; distinct counts saturate here. Default 1 000, as in memory. */
  readonly maxMembersPerKey?: number;
  /**
   * Time source of the windows. Default: Redis' `TIME`, one clock for every process sharing the keys. Inject one only
   * where every process runs the same clock at real speed (a `ManualClock` in tests): keys still expire by Redis' clock.
   */
  readonly clock?: Clock;
  /** Longest wait for one call, in ms, after which it fails with a {@link DetectorStoreError}. Default 1 000. */
  readonly timeoutMs?: number;
}

export interface RedisFirstSeenStoreOptions {
  /** An ioredis client or cluster the application created (and closes). */
  readonly client: RedisScriptClient;
  /** Prefix of every key: 1–64 characters of `[A-Za-z0-9:_.-]`. Default `detect`. */
  readonly prefix?: string;
  /** Values (devices, countries) remembered per account, least recently used evicted. Default 20, as in memory. */
  readonly maxValuesPerKey?: number;
  /** An account not seen for this long is forgotten (its key expires). Default 90 days. */
  readonly idleMs?: number;
  /** Longest wait for one call, in ms, after which it fails with a {@link DetectorStoreError}. Default 1 000. */
  readonly timeoutMs?: number;
}

/** The Redis keys behind one counter key; all of them share one hash tag per kind. */
export interface RedisCounterKeys {
  /** List of occurrence times, oldest first. */
  readonly hits: string;
  /** Sorted set: member digest → recency sequence number. */
  readonly members: string;
  /** Hash: member digest → last time. */
  readonly memberTimes: string;
  /** String holding the time the claim ends. */
  readonly claim: string;
}

const PREFIX = /^[A-Za-z0-9:_.-]{1,64}$/;
const DAY = 24 * 60 * 60 * 1000;

function checkPrefix(prefix: string): string {
  if (!PREFIX.test(prefix)) throw new ConfigurationError('prefix must be 1–64 characters of [A-Za-z0-9:_.-]');
  return prefix;
}

/**
 * Names attacker-chosen text (account names, addresses, user agents) by its SHA-256 in base64url: 43 characters of
 * `[A-Za-z0-9_-]` whatever the input, so no input can close the hash tag, reach into another kind or prefix, collide
 * with another input or make a key or member longer. The digest is taken over UTF-16 code units: UTF-8 would map
 * every lone surrogate to U+FFFD, and two different strings to one key.
 */
function digest(text: string): string {
  return createHash('sha256').update(Buffer.from(text, 'utf16le')).digest('base64url');
}

/** Sets a key's expiry to `ms` unless it already lasts longer (a key used with two windows keeps the longer). */
const EXTEND = `
local function extend(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end
`;

/**
 * Makes `member` the newest of the sorted set `key` (score = a per-key sequence, so order is order of use, never
 * broken by name as equal times would be); returns 1 when it was not there yet.
 */
const STAMP = `
local function stamp(key, member)
  local new = 0
  if not redis.call('ZSCORE', key, member) then new = 1 end
  local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  local seq = 1
  if newest[2] then seq = tonumber(newest[2]) + 1 end
  redis.call('ZADD', key, string.format('%.0f', seq), member)
  return new
end
`;

/** ARGV[1] is the injected time in ms, or empty for Redis' own clock. */
const NOW = `
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(ARGV[1])
end
`;

/*
 * The scripts mirror memory-store.ts step by step, so both answer alike for the same calls. Numbers written to Redis go
 * through '%.0f': Lua's default formatting keeps only 14 digits.
 */

/** KEYS[1] the list of times; ARGV now, window (ms), cap. Returns { count, first, last }. */
const HIT_SCRIPT = `${EXTEND}${NOW}
local key = KEYS[1]
local window, cap = tonumber(ARGV[2]), tonumber(ARGV[3])
local cutoff = now - window
while true do
  local oldest = redis.call('LINDEX', key, 0)
  if not oldest or tonumber(oldest) > cutoff then break end
  redis.call('LPOP', key)
end
local count = redis.call('RPUSH', key, string.format('%.0f', now))
if count > cap then
  redis.call('LTRIM', key, count - cap, -1)
  count = cap
end
local first = tonumber(redis.call('LINDEX', key, 0))
extend(key, window)
return { count, first, now }
`;

/*
 * Members are ordered by a per-key sequence number rather than by time, as the memory store orders them by use: two
 * members seen in the same millisecond still leave in the order they came, and the newest member always holds the
 * highest number, so the next is that plus one.
 *
 * KEYS[1] member → sequence (sorted set), KEYS[2] member → last time (hash); ARGV now, window (ms), cap, member.
 * Returns { distinct, added (0|1), first, last }.
 */
const DISTINCT_SCRIPT = `${STAMP}${EXTEND}${NOW}
local order, times = KEYS[1], KEYS[2]
local window, cap, member = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local cutoff = now - window
while true do
  local oldest = redis.call('ZRANGE', order, 0, 0)[1]
  if not oldest then break end
  local at = tonumber(redis.call('HGET', times, oldest))
  if at and at > cutoff then break end
  redis.call('ZREM', order, oldest)
  redis.call('HDEL', times, oldest)
end
local added = stamp(order, member)
redis.call('HSET', times, member, string.format('%.0f', now))
local distinct = redis.call('ZCARD', order)
if distinct > cap then
  local gone = redis.call('ZPOPMIN', order, distinct - cap)
  for i = 1, #gone, 2 do redis.call('HDEL', times, gone[i]) end
  distinct = cap
end
local first = tonumber(redis.call('HGET', times, redis.call('ZRANGE', order, 0, 0)[1]))
extend(order, window)
extend(times, window)
return { distinct, added, first, now }
`;

/*
 * The claim holds the time it ends, compared with "now" as the memory store does; PX lets Redis drop it then. On Redis'
 * clock this is SET NX PX; on an injected clock the stored time decides.
 *
 * KEYS[1] the claim; ARGV now, ttl (ms). Returns 1 for the first caller, 0 while an earlier claim lasts.
 */
const CLAIM_SCRIPT = `${NOW}
local ttl = tonumber(ARGV[2])
local ends = tonumber(redis.call('GET', KEYS[1]))
if ends and ends > now then return 0 end
redis.call('SET', KEYS[1], string.format('%.0f', now + ttl), 'PX', ttl)
return 1
`;

/*
 * No time here: values are ordered by use (a sequence number, as for distinct members) and the key expires when idle.
 *
 * KEYS[1] value → sequence (sorted set); ARGV value, cap, idle (ms). Returns { hadHistory (0|1), isNew (0|1) }.
 */
const REMEMBER_SCRIPT = `${STAMP}
local key, value = KEYS[1], ARGV[1]
local cap, idle = tonumber(ARGV[2]), tonumber(ARGV[3])
local size = redis.call('ZCARD', key)
local had = 0
if size > 0 then had = 1 end
local new = stamp(key, value)
size = size + new
if size > cap then redis.call('ZPOPMIN', key, size - cap) end
redis.call('PEXPIRE', key, idle)
return { had, new }
`;

interface Script {
  readonly source: string;
  /** SHA-1 of the source, for `EVALSHA` (the script's name in Redis' script cache, not a security function). */
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const HIT = script(HIT_SCRIPT);
const DISTINCT = script(DISTINCT_SCRIPT);
const CLAIM = script(CLAIM_SCRIPT);
const REMEMBER = script(REMEMBER_SCRIPT);

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * Runs one script in one round trip: `EVALSHA`, falling back to `EVAL` once when Redis has lost its script cache (a
 * restart, `SCRIPT FLUSH`); `EVAL` puts the script back, so the next `EVALSHA` succeeds. Gives up after `timeoutMs`:
 * without it a down Redis holds every event in ioredis' offline queue for as long as it reconnects.
 */
function runScript(client: RedisScriptClient, timeoutMs: number, run: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new DetectorStoreError('Redis did not answer in time'));
    }, timeoutMs);
    // The timer alone must not keep the process alive.
    timer.unref();
    const done = (reply: unknown): void => {
      clearTimeout(timer);
      resolve(reply);
    };
    const fail = (error: unknown): void => {
      clearTimeout(timer);
      reject(new DetectorStoreError('Redis refused the detector store call', { cause: error }));
    };
    client.evalsha(run.sha, keys.length, ...keys, ...args).then(done, (error: unknown) => {
      if (isNoScript(error)) client.eval(run.source, keys.length, ...keys, ...args).then(done, fail);
      else fail(error);
    });
  });
}

/** The script's reply as `length` integers; anything else means the key was not written by these scripts. */
function integers(reply: unknown, length: number): number[] {
  const values: unknown[] = Array.isArray(reply) ? reply : [];
  if (values.length !== length || !values.every((value): value is number => Number.isSafeInteger(value))) {
    throw new DetectorStoreError('unexpected reply from the detector store script');
  }
  return values;
}

function duration(name: string, value: number): string {
  return String(positive(name, value, value));
}

/**
 * Redis {@link WindowCounter}, shared by every process: an attacker who spreads attempts over several servers is still
 * counted as one, and one attack still raises one alert, because every call is one Lua script (atomic in Redis, no
 * lost updates between processes) timed by one clock, Redis' `TIME`.
 *
 * Protects Redis' memory as the memory store protects the heap: occurrences and members per key are capped (counts
 * saturate at the caps), members are stored as fixed-size digests, and every key expires once its window has passed
 * without a call, so a flood of fresh keys costs a few hundred bytes per key for one window and then nothing. The
 * number of keys has no cap of its own: Redis' `maxmemory` is that bound, and every key here carries a TTL, so a
 * `volatile-*` eviction policy may drop them. Keys are `<prefix>:<kind>:{<SHA-256 of the key>}`, hash-tagged, so each
 * script touches one Redis Cluster slot.
 */
export class RedisWindowCounter implements WindowCounter {
  readonly #client: RedisScriptClient;
  readonly #prefix: string;
  readonly #maxHits: string;
  readonly #maxMembers: string;
  readonly #clock: Clock | undefined;
  readonly #timeoutMs: number;

  constructor(options: RedisWindowCounterOptions) {
    this.#client = options.client;
    this.#prefix = checkPrefix(options.prefix ?? 'detect');
    this.#maxHits = String(positive('maxHitsPerKey', options.maxHitsPerKey, 1_000));
    this.#maxMembers = String(positive('maxMembersPerKey', options.maxMembersPerKey, 1_000));
    this.#clock = options.clock;
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs, 1_000);
  }

  /** The Redis keys that hold `key`'s occurrences, distinct members and claim. */
  redisKeys(key: string): RedisCounterKeys {
    const tag = `{${digest(key)}}`;
    return {
      hits: `${this.#prefix}:h:${tag}`,
      members: `${this.#prefix}:d:${tag}:m`,
      memberTimes: `${this.#prefix}:d:${tag}:t`,
      claim: `${this.#prefix}:c:${tag}`,
    };
  }

  async hit(key: string, windowMs: number): Promise<WindowHits> {
    const window = duration('windowMs', windowMs);
    const reply = await this.#run(HIT, [this.redisKeys(key).hits], [window, this.#maxHits]);
    const [count, first, last] = integers(reply, 3) as [number, number, number];
    return { count, first, last };
  }

  async addDistinct(key: string, member: string, windowMs: number): Promise<DistinctHits> {
    const window = duration('windowMs', windowMs);
    const keys = this.redisKeys(key);
    const reply = await this.#run(DISTINCT, [keys.members, keys.memberTimes], [window, this.#maxMembers, digest(member)]);
    const [distinct, added, first, last] = integers(reply, 4) as [number, number, number, number];
    return { distinct, added: added === 1, first, last };
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const ttl = duration('ttlMs', ttlMs);
    const [fresh] = integers([await this.#run(CLAIM, [this.redisKeys(key).claim], [ttl])], 1);
    return fresh === 1;
  }

  #run(run: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    let now = '';
    if (this.#clock !== undefined) {
      const ms = Math.floor(this.#clock.now());
      if (!Number.isSafeInteger(ms)) throw new DetectorStoreError('the injected clock returned no time');
      now = String(ms);
    }
    return runScript(this.#client, this.#timeoutMs, run, keys, [now, ...args]);
  }
}

/**
 * Redis {@link FirstSeenStore}, shared by every process: a device first seen by one server is known to all, so a
 * takeover from a new device alerts once, not once per server. Each call is one Lua script (atomic: of two concurrent
 * first logins on one device, exactly one finds it new).
 *
 * Protects Redis' memory against fresh device strings: values are stored as fixed-size digests, at most
 * `maxValuesPerKey` per account, least recently used first out; an account's key expires after `idleMs` without a
 * login. Keys are `<prefix>:f:{<SHA-256 of the key>}` for the same reasons as {@link RedisWindowCounter}'s.
 */
export class RedisFirstSeenStore implements FirstSeenStore {
  readonly #client: RedisScriptClient;
  readonly #prefix: string;
  readonly #maxValues: string;
  readonly #idleMs: string;
  readonly #timeoutMs: number;

  constructor(options: RedisFirstSeenStoreOptions) {
    this.#client = options.client;
    this.#prefix = checkPrefix(options.prefix ?? 'detect');
    this.#maxValues = String(positive('maxValuesPerKey', options.maxValuesPerKey, 20));
    this.#idleMs = String(positive('idleMs', options.idleMs, 90 * DAY));
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs, 1_000);
  }

  /** The Redis key that holds `key`'s remembered values. */
  redisKey(key: string): string {
    return `${this.#prefix}:f:{${digest(key)}}`;
  }

  async remember(key: string, value: string): Promise<FirstSeen> {
    const reply = await runScript(this.#client, this.#timeoutMs, REMEMBER, [this.redisKey(key)], [digest(value), this.#maxValues, this.#idleMs]);
    const [hadHistory, isNew] = integers(reply, 2);
    return { hadHistory: hadHistory === 1, isNew: isNew === 1 };
  }
}
