import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { ConfigurationError } from '../errors.js';
import type { SecurityEvent } from '../events.js';
import { createDetectors } from './create.js';
import { MemoryFirstSeenStore, MemoryWindowCounter } from './memory-store.js';
import { DetectorStoreError, RedisFirstSeenStore, RedisWindowCounter, type RedisCounterKeys, type RedisScriptClient } from './redis-store.js';
import { detectStoreContract } from './store-contract.fixtures.js';
import { MONDAY_10 } from './stream.fixtures.js';

const url = process.env.RAMPART_TEST_REDIS_URL;
const exec = promisify(execFile);
const child = fileURLToPath(new URL('./redis-child.fixtures.ts', import.meta.url));
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

// Every store of this run gets its own prefix under `run`; afterAll deletes them all.
const run = `detect-test-${process.pid}-${Date.now()}`;
let stores = 0;
const nextPrefix = (): string => `${run}-${(stores += 1)}`;

let shared: Redis | undefined;
/** One connection for the tests, opened on first use so that nothing connects when Redis is not configured. */
function redis(): Redis {
  shared ??= new Redis(url ?? '', { maxRetriesPerRequest: 1 });
  return shared;
}

afterAll(async () => {
  if (shared === undefined) return;
  const keys = await shared.keys(`${run}*`);
  for (let i = 0; i < keys.length; i += 10_000) await shared.del(...keys.slice(i, i + 10_000));
  await shared.quit();
});

/** Polls until Redis has dropped every key (after their TTLs), or fails after 10 s. */
async function gone(keys: readonly string[]): Promise<void> {
  for (let tries = 0; tries < 400; tries += 1) {
    if ((await redis().exists(...keys)) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`keys still present: ${keys.join(', ')}`);
}

async function redisTime(): Promise<number> {
  const [seconds = '0', micros = '0'] = await redis().time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** Runs `calls` in batches of concurrent calls: fast over one connection, bounded in memory. */
async function flood<T>(count: number, call: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += 500) {
    results.push(...(await Promise.all(Array.from({ length: Math.min(500, count - start) }, (_, i) => call(start + i)))));
  }
  return results;
}

// The same cases as the memory stores, on an injected clock (keys still expire by Redis' clock, long after each case).
detectStoreContract({
  name: 'Redis stores (needs RAMPART_TEST_REDIS_URL)',
  skip: url === undefined,
  counter: (caps) => new RedisWindowCounter({ client: redis(), prefix: nextPrefix(), timeoutMs: 10_000, ...caps }),
  firstSeen: (caps) => new RedisFirstSeenStore({ client: redis(), prefix: nextPrefix(), timeoutMs: 10_000, ...caps }),
  flood: 2_000,
});

const allKeys = (keys: RedisCounterKeys): string[] => [keys.hits, keys.members, keys.memberTimes, keys.claim];

const KEY_SHAPE = /^[A-Za-z0-9:_.-]+:[hdcf]:\{[A-Za-z0-9_-]{43}\}(:[mt])?$/;

describe.skipIf(url === undefined)('RedisWindowCounter and RedisFirstSeenStore against a real Redis (needs RAMPART_TEST_REDIS_URL)', () => {
  it('answers exactly as the memory stores for random call sequences (same-millisecond ties, caps, expiry, mixed windows)', async () => {
    const call = fc.record({
      kind: fc.constantFrom('hit', 'distinct', 'claim', 'remember'),
      key: fc.constantFrom('a', 'b'),
      member: fc.constantFrom('m1', 'm2', 'm3', 'm4', 'm5'),
      ms: fc.constantFrom(10_000, 30_000),
      advance: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20_000 })),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(call, { maxLength: 60 }), async (calls) => {
        const clock = new ManualClock(MONDAY_10);
        const caps = { maxHitsPerKey: 4, maxMembersPerKey: 3 };
        const memory = new MemoryWindowCounter({ clock, ...caps });
        const inRedis = new RedisWindowCounter({ client: redis(), prefix: nextPrefix(), clock, timeoutMs: 10_000, ...caps });
        const memorySeen = new MemoryFirstSeenStore({ maxValuesPerKey: 3 });
        const seenInRedis = new RedisFirstSeenStore({ client: redis(), prefix: nextPrefix(), maxValuesPerKey: 3, timeoutMs: 10_000 });
        for (const { kind, key, member, ms, advance } of calls) {
          clock.advance(advance);
          if (kind === 'hit') expect(await inRedis.hit(key, ms)).toEqual(memory.hit(key, ms));
          else if (kind === 'distinct') expect(await inRedis.addDistinct(key, member, ms)).toEqual(memory.addDistinct(key, member, ms));
          else if (kind === 'claim') expect(await inRedis.claim(key, ms)).toBe(memory.claim(key, ms));
          else expect(await seenInRedis.remember(key, member)).toEqual(memorySeen.remember(key, member));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('two store instances, as two processes would hold, share counts, members, claims and first sightings', async () => {
    const prefix = nextPrefix();
    const other = redis().duplicate();
    try {
      const a = new RedisWindowCounter({ client: redis(), prefix });
      const b = new RedisWindowCounter({ client: other, prefix });
      await a.hit('acct', HOUR);
      await a.hit('acct', HOUR);
      expect((await b.hit('acct', HOUR)).count).toBe(3);
      await a.addDistinct('src', 'alice', HOUR);
      expect(await b.addDistinct('src', 'alice', HOUR)).toMatchObject({ distinct: 1, added: false });
      expect(await b.addDistinct('src', 'bob', HOUR)).toMatchObject({ distinct: 2, added: true });
      expect(await a.claim('alert', HOUR)).toBe(true);
      expect(await b.claim('alert', HOUR)).toBe(false);
      const seenByA = new RedisFirstSeenStore({ client: redis(), prefix });
      const seenByB = new RedisFirstSeenStore({ client: other, prefix });
      await seenByA.remember('alice', 'laptop');
      expect(await seenByB.remember('alice', 'laptop')).toEqual({ hadHistory: true, isNew: false });
      expect(await seenByB.remember('alice', 'phone')).toEqual({ hadHistory: true, isNew: true });
    } finally {
      other.disconnect();
    }
  });

  it('times the windows by Redis TIME when no clock is injected, one clock for every process', async () => {
    const counter = new RedisWindowCounter({ client: redis(), prefix: nextPrefix() });
    const before = await redisTime();
    const hits = await counter.hit('k', HOUR);
    const members = await counter.addDistinct('k', 'm', HOUR);
    const after = await redisTime();
    for (const time of [hits.first, hits.last, members.first, members.last]) {
      expect(time).toBeGreaterThanOrEqual(before);
      expect(time).toBeLessThanOrEqual(after);
    }
  });

  it('exactness: 4 processes × 250 concurrent calls of each operation on shared keys lose no update', async () => {
    const prefix = nextPrefix();
    const processes = 4;
    const calls = 250;
    const children = Promise.all(
      Array.from({ length: processes }, (_, id) => exec(process.execPath, ['--import', 'tsx', child, url ?? '', prefix, `p${id}`, String(calls)], { cwd: process.cwd() })),
    );
    // A start barrier, so the processes' calls overlap: wait until all are ready, then release them together.
    const barrier = redis().duplicate();
    try {
      for (let ready = 0; ready < processes; ready += 1) expect(await barrier.blpop(`${prefix}:ready`, 60)).not.toBeNull();
      await barrier.rpush(`${prefix}:go`, ...Array.from({ length: processes }, () => '1'));
    } finally {
      barrier.disconnect();
    }
    const results = (await children).map(
      (result) =>
        JSON.parse(result.stdout) as { counts: number[]; added: number; distinct: number[]; claimed: number; isNew: number; withoutHistory: number },
    );
    const total = processes * calls;
    // Every hit saw a different count, 1 … total: each one was counted exactly once, none was lost or doubled.
    expect(results.flatMap((result) => result.counts).sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // Half the members are each process's own, the other half one member shared by all: that one is new exactly once.
    const distinct = (processes * calls) / 2 + 1;
    expect(results.reduce((sum, result) => sum + result.added, 0)).toBe(distinct);
    expect(Math.max(...results.flatMap((result) => result.distinct))).toBe(distinct);
    expect(results.reduce((sum, result) => sum + result.claimed, 0)).toBe(1);
    expect(results.reduce((sum, result) => sum + result.isNew, 0)).toBe(1);
    expect(results.reduce((sum, result) => sum + result.withoutHistory, 0)).toBe(1);
  });

  it('expiry: every key carries a TTL of at most its window, vanishes when idle for it, and counting starts over', async () => {
    const prefix = nextPrefix();
    const counter = new RedisWindowCounter({ client: redis(), prefix });
    const firstSeen = new RedisFirstSeenStore({ client: redis(), prefix, idleMs: 1_000 });
    const window = 1_000;
    await counter.hit('k', window);
    await counter.addDistinct('k', 'm', window);
    expect(await counter.claim('k', window)).toBe(true);
    await firstSeen.remember('alice', 'laptop');
    const keys = [...allKeys(counter.redisKeys('k')), firstSeen.redisKey('alice')];
    for (const key of keys) {
      const ttl = await redis().pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(window);
    }
    await gone(keys);
    expect((await counter.hit('k', window)).count).toBe(1);
    expect(await counter.addDistinct('k', 'm', window)).toMatchObject({ distinct: 1, added: true });
    expect(await counter.claim('k', window)).toBe(true);
    expect(await firstSeen.remember('alice', 'laptop')).toEqual({ hadHistory: false, isNew: true });
  });

  it('a key used with two windows lives for the longer one, so the short window cannot drop what the long one counts', async () => {
    const counter = new RedisWindowCounter({ client: redis(), prefix: nextPrefix() });
    await counter.hit('k', HOUR);
    await counter.hit('k', 1_000);
    expect(await redis().pttl(counter.redisKeys('k').hits)).toBeGreaterThan(MINUTE);
    expect((await counter.hit('k', HOUR)).count).toBe(3);
  });

  it('attack: a flood of occurrences, long members and devices on one key keeps it at its caps, in a few kilobytes', async () => {
    const counter = new RedisWindowCounter({ client: redis(), prefix: nextPrefix(), maxHitsPerKey: 100, maxMembersPerKey: 50 });
    const firstSeen = new RedisFirstSeenStore({ client: redis(), prefix: nextPrefix(), maxValuesPerKey: 5 });
    const long = 'x'.repeat(10_000);
    const hits = await flood(5_000, () => counter.hit('k', HOUR));
    const members = await flood(5_000, (i) => counter.addDistinct('k', `${long}${i}`, HOUR));
    await flood(5_000, (i) => firstSeen.remember('alice', `${long}${i}`));
    expect(Math.max(...hits.map((hit) => hit.count))).toBe(100);
    expect(Math.max(...members.map((member) => member.distinct))).toBe(50);
    const keys = counter.redisKeys('k');
    expect(await redis().llen(keys.hits)).toBe(100);
    expect(await redis().zcard(keys.members)).toBe(50);
    expect(await redis().hlen(keys.memberTimes)).toBe(50);
    expect(await redis().zcard(firstSeen.redisKey('alice'))).toBe(5);
    // 50 members of 10 kB would be half a megabyte stored as sent; as digests they are a few kilobytes.
    for (const key of [keys.hits, keys.members, keys.memberTimes, firstSeen.redisKey('alice')]) {
      expect(await redis().memory('USAGE', key)).toBeLessThan(8_192);
    }
  });

  it('attack: a flood of 5,000 fresh keys makes one small key each, every one with a TTL of at most its window', async () => {
    const prefix = nextPrefix();
    const counter = new RedisWindowCounter({ client: redis(), prefix });
    const count = 5_000;
    await flood(count, (i) => counter.hit(`flood-${i}`, MINUTE));
    await flood(count, (i) => counter.addDistinct(`flood-${i}`, `account-${i}`, MINUTE));
    await flood(count, (i) => counter.claim(`flood-${i}`, MINUTE));
    const keys = await redis().keys(`${prefix}:*`);
    // One key per occurrence counter and per claim, two per member counter: no amplification.
    expect(keys).toHaveLength(4 * count);
    const ttls = await Promise.all(keys.map((key) => redis().pttl(key)));
    expect(ttls.filter((ttl) => ttl <= 0 || ttl > MINUTE)).toEqual([]);
    const usage = await Promise.all(keys.slice(0, 200).map((key) => redis().memory('USAGE', key)));
    expect(Math.max(...usage.map(Number))).toBeLessThan(512);
  });

  it('attack: hostile key material cannot collide, close the hash tag or leave the prefix', async () => {
    const victimPrefix = nextPrefix();
    const attackerPrefix = nextPrefix();
    const victim = new RedisWindowCounter({ client: redis(), prefix: victimPrefix });
    const attacker = new RedisWindowCounter({ client: redis(), prefix: attackerPrefix });
    const victimKeys = victim.redisKeys('victim');
    await victim.hit('victim', HOUR);
    await victim.addDistinct('victim', 'alice', HOUR);
    expect(await victim.claim('victim', HOUR)).toBe(true);

    const hostile = [
      'victim',
      'a',
      'a}',
      '{a',
      '{a}',
      'a{b}c',
      '}{',
      '{}',
      '',
      ' ',
      'A',
      'a ',
      'a\u0000',
      'a\n',
      '*',
      '?',
      '[a-z]',
      '../victim',
      `}:h:{victim`,
      `${victimPrefix}:h:{victim}`,
      victimKeys.hits,
      victimKeys.claim,
      victimKeys.members.slice(victimPrefix.length + 1),
      // Lone surrogates: UTF-8 would turn each of these into U+FFFD and make them one key.
      '\uD800',
      '\uDBFF',
      '\uDC00',
      '\uFFFD',
      'x'.repeat(1_000_000),
      `${'x'.repeat(1_000_000)}y`,
    ];
    expect(new Set(hostile).size).toBe(hostile.length);
    for (const key of hostile) {
      expect((await attacker.hit(key, HOUR)).count).toBe(1);
      expect(await attacker.addDistinct(key, key, HOUR)).toMatchObject({ distinct: 1, added: true });
      expect(await attacker.claim(key, HOUR)).toBe(true);
    }
    // As members too: each is its own member, again not collapsed into another.
    for (const [index, member] of hostile.entries()) {
      expect(await attacker.addDistinct('members', member, HOUR)).toMatchObject({ distinct: index + 1, added: true });
    }
    for (const member of hostile) expect((await attacker.addDistinct('members', member, HOUR)).added).toBe(false);

    // The victim's state under the other prefix is untouched.
    expect((await victim.hit('victim', HOUR)).count).toBe(2);
    expect(await victim.addDistinct('victim', 'bob', HOUR)).toMatchObject({ distinct: 2, added: true });
    expect(await victim.claim('victim', HOUR)).toBe(false);
    expect((await redis().keys(`${victimPrefix}:*`)).sort()).toEqual(allKeys(victimKeys).sort());

    // Every key the attacker made sits under its prefix, in the fixed shape, each with one hash tag of its own.
    const made = await redis().keys(`${attackerPrefix}:*`);
    // Four keys per hostile key (occurrences, members and their times, claim), two for the 'members' counter.
    expect(made).toHaveLength(4 * hostile.length + 2);
    for (const key of made) {
      expect(key.startsWith(`${attackerPrefix}:`)).toBe(true);
      expect(key).toMatch(KEY_SHAPE);
      expect(key.length).toBeLessThanOrEqual(attackerPrefix.length + 50);
    }
    const tag = (key: string): string | undefined => /\{([^}]*)\}/.exec(key)?.[1];
    const keys = attacker.redisKeys('a{b}c');
    expect(tag(keys.members)).toBe(tag(keys.memberTimes));
    expect(tag(keys.members)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('attack: hostile first-seen keys and values cannot collide or leave the prefix', async () => {
    const prefix = nextPrefix();
    const store = new RedisFirstSeenStore({ client: redis(), prefix });
    const hostile = ['alice', 'alice}', '{alice}', 'alice\u0000', '\uD800', '\uDBFF', 'y'.repeat(1_000_000)];
    for (const key of hostile) expect(await store.remember(key, 'laptop')).toEqual({ hadHistory: false, isNew: true });
    for (const value of hostile) expect((await store.remember('bob', value)).isNew).toBe(true);
    const made = await redis().keys(`${prefix}:*`);
    expect(made).toHaveLength(hostile.length + 1);
    for (const key of made) expect(key).toMatch(KEY_SHAPE);
  });

  it('falls back to EVAL after SCRIPT FLUSH', async () => {
    const counter = new RedisWindowCounter({ client: redis(), prefix: nextPrefix() });
    const firstSeen = new RedisFirstSeenStore({ client: redis(), prefix: nextPrefix() });
    await redis().script('FLUSH');
    expect((await counter.hit('k', HOUR)).count).toBe(1);
    expect((await counter.addDistinct('k', 'm', HOUR)).added).toBe(true);
    expect(await counter.claim('k', HOUR)).toBe(true);
    expect((await firstSeen.remember('k', 'v')).isNew).toBe(true);
    await redis().script('FLUSH');
    expect((await counter.hit('k', HOUR)).count).toBe(2);
  });

  it('a key of the wrong type fails with a DetectorStoreError, never a made-up count', async () => {
    const counter = new RedisWindowCounter({ client: redis(), prefix: nextPrefix() });
    await redis().set(counter.redisKeys('k').hits, 'not a list', 'PX', MINUTE);
    await expect(counter.hit('k', MINUTE)).rejects.toBeInstanceOf(DetectorStoreError);
  });

  describe('end to end: createDetectors on two servers sharing Redis', () => {
    const failure = (subject: string, clientIp: string): SecurityEvent => ({ type: 'auth.login.failed', at: new Date(), subject, attributes: { clientIp } });
    const addresses = ['203.0.113.7', '198.51.100.23', '192.0.2.99'];

    interface Servers {
      send(i: number, event: SecurityEvent): void;
      idle(): Promise<void>;
      /** Alerts raised and withheld as duplicates, over all servers. */
      totals(): { alerts: number; suppressed: number };
      readonly alerts: SecurityEvent[];
    }

    function servers(kind: 'redis' | 'memory', clients: readonly Redis[]): Servers {
      const prefix = nextPrefix();
      const alerts: SecurityEvent[] = [];
      const detectors = clients.map((client) =>
        createDetectors({
          alerts: (alert) => alerts.push(alert),
          ...(kind === 'redis'
            ? { counter: new RedisWindowCounter({ client, prefix, timeoutMs: 10_000 }), firstSeen: new RedisFirstSeenStore({ client, prefix, timeoutMs: 10_000 }) }
            : {}),
        }),
      );
      return {
        send: (i, event) => detectors[i % detectors.length]?.(event),
        idle: async () => {
          await Promise.all(detectors.map((server) => server.idle()));
        },
        totals: () => ({
          alerts: detectors.reduce((sum, server) => sum + server.stats().alerts, 0),
          suppressed: detectors.reduce((sum, server) => sum + server.stats().suppressed, 0),
        }),
        alerts,
      };
    }

    it('a brute-force stream split over two servers raises exactly one alert', async () => {
      const other = redis().duplicate();
      try {
        const pair = servers('redis', [redis(), other]);
        for (let i = 0; i < 30; i += 1) {
          pair.send(i, failure('acct-42', addresses[i % 3] ?? ''));
          await pair.idle();
        }
        expect(pair.alerts).toHaveLength(1);
        expect(pair.alerts[0]?.attributes).toMatchObject({ detector: 'brute_force', key: 'acct-42', count: 10, threshold: 10, distinctSources: 3 });
      } finally {
        other.disconnect();
      }
    });

    it('… also when both servers inspect the stream at the same time', async () => {
      const other = redis().duplicate();
      try {
        const pair = servers('redis', [redis(), other]);
        for (let i = 0; i < 30; i += 1) pair.send(i, failure('acct-43', addresses[i % 3] ?? ''));
        await pair.idle();
        expect(pair.alerts).toHaveLength(1);
        expect(pair.alerts[0]?.attributes).toMatchObject({ detector: 'brute_force', key: 'acct-43', threshold: 10 });
        // Failures 10 … 30 each crossed the threshold on one server or the other; the shared claim let one through.
        expect(pair.totals()).toEqual({ alerts: 1, suppressed: 20 });
      } finally {
        other.disconnect();
      }
    });

    it('attack: 18 guesses split over two servers evade per-process memory stores, not the shared Redis store', async () => {
      const other = redis().duplicate();
      try {
        const apart = servers('memory', [redis(), other]);
        const together = servers('redis', [redis(), other]);
        for (let i = 0; i < 18; i += 1) {
          apart.send(i, failure('acct-44', addresses[0] ?? ''));
          together.send(i, failure('acct-44', addresses[0] ?? ''));
          await apart.idle();
          await together.idle();
        }
        expect(apart.alerts).toHaveLength(0);
        expect(together.alerts.map((alert) => alert.attributes?.count)).toEqual([10]);
      } finally {
        other.disconnect();
      }
    });
  });
});

describe('Redis detector stores without a working Redis', () => {
  const hung: RedisScriptClient = { evalsha: () => new Promise<never>(() => undefined), eval: () => new Promise<never>(() => undefined) };

  it('a refused connection fails with a DetectorStoreError', async () => {
    const dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    dead.on('error', () => undefined);
    try {
      await expect(new RedisWindowCounter({ client: dead }).hit('k', MINUTE)).rejects.toBeInstanceOf(DetectorStoreError);
      await expect(new RedisFirstSeenStore({ client: dead }).remember('k', 'v')).rejects.toBeInstanceOf(DetectorStoreError);
    } finally {
      dead.disconnect();
    }
  });

  it('a hung store is cut off by the timeout, and the detectors go on counting the failure', async () => {
    const counter = new RedisWindowCounter({ client: hung, timeoutMs: 20 });
    await expect(counter.claim('k', MINUTE)).rejects.toBeInstanceOf(DetectorStoreError);
    const detectors = createDetectors({ counter, firstSeen: new RedisFirstSeenStore({ client: hung, timeoutMs: 20 }), alerts: () => undefined });
    detectors({ type: 'auth.login.failed', at: new Date(), subject: 'acct', attributes: { clientIp: '192.0.2.1' } });
    await detectors.idle();
    expect(detectors.stats()).toMatchObject({ processed: 1, failures: 3 });
  });

  it('refuses a prefix that could break the key layout, and windows that are not positive integers', async () => {
    for (const prefix of ['', 'a{b}', 'a}', 'a b', 'a*', 'x'.repeat(65)]) {
      expect(() => new RedisWindowCounter({ client: hung, prefix })).toThrow(ConfigurationError);
      expect(() => new RedisFirstSeenStore({ client: hung, prefix })).toThrow(ConfigurationError);
    }
    expect(() => new RedisWindowCounter({ client: hung, timeoutMs: 0 })).toThrow(ConfigurationError);
    expect(() => new RedisFirstSeenStore({ client: hung, idleMs: -1 })).toThrow(ConfigurationError);
    const counter = new RedisWindowCounter({ client: hung });
    await expect(counter.hit('k', 0)).rejects.toBeInstanceOf(ConfigurationError);
    await expect(counter.addDistinct('k', 'm', Number.NaN)).rejects.toBeInstanceOf(ConfigurationError);
    await expect(counter.claim('k', 1.5)).rejects.toBeInstanceOf(ConfigurationError);
  });
});
