import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { createChain } from '../http/chain/chain.js';
import { CircuitBreaker } from './breaker.js';
import { rateLimit } from './guard.js';
import { loginThrottle } from './login.js';
import { MemoryRateLimitStore } from './memory-store.js';
import { backoff, gcra, slidingWindow } from './policy.js';
import { RATE_LIMIT_SCRIPT_SHA } from './redis-script.js';
import { RateLimitStoreError, RedisRateLimitStore } from './redis-store.js';
import { CountingStore, request, settle } from './testing.fixtures.js';

const url = process.env.RAMPART_TEST_REDIS_URL;
const run = promisify(execFile);
const child = fileURLToPath(new URL('./redis-child.fixtures.ts', import.meta.url));

describe.skipIf(url === undefined)('RedisRateLimitStore against a real Redis (needs RAMPART_TEST_REDIS_URL)', () => {
  let client: Redis;
  const prefix = `rl-test-${randomUUID()}`;

  beforeAll(() => {
    client = new Redis(url ?? '', { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });

  it('exactness: 4 processes × 250 concurrent consumes admit exactly the limit', async () => {
    for (const algorithm of ['gcra', 'sliding-window']) {
      const key = `${prefix}:${algorithm}`;
      const children = Promise.all(
        Array.from({ length: 4 }, () => run(process.execPath, ['--import', 'tsx', child, url ?? '', key, '37', '250', algorithm], { cwd: process.cwd() })),
      );
      // A start barrier, so the four processes' requests overlap: wait until all four are ready, then release them.
      const barrier = client.duplicate();
      try {
        for (let ready = 0; ready < 4; ready++) expect(await barrier.blpop(`${key}:ready`, 60)).not.toBeNull();
        await barrier.rpush(`${key}:go`, '1', '1', '1', '1');
      } finally {
        barrier.disconnect();
      }
      const results = await children;
      const admitted = results.map((result) => (JSON.parse(result.stdout) as { allowed: number }).allowed);
      expect(admitted.reduce((sum, value) => sum + value, 0)).toBe(37);
    }
  });

  it('exactness in one process: 1,000 concurrent chain runs admit exactly the limit', async () => {
    // A generous timeout: this test is about exactness, and the machine may be busy.
    const store = new RedisRateLimitStore({ client, prefix, timeoutMs: 10_000 });
    const chain = createChain({ guards: [rateLimit({ store, policy: gcra(50, 60), name: 'conc' })] });
    const outcomes = await Promise.all(Array.from({ length: 1000 }, () => settle(chain.run(request('198.51.100.7')))));
    expect(outcomes.filter((outcome) => outcome.verdict.action === 'continue')).toHaveLength(50);
    const denied = outcomes.find((outcome) => outcome.verdict.action === 'deny');
    expect(denied?.verdict.action === 'deny' && denied.verdict.problem.headers).toEqual({ 'retry-after': '2' });
  });

  it('computes what the memory store computes (same script semantics)', async () => {
    const store = new RedisRateLimitStore({ client, prefix, timeoutMs: 10_000 });
    const clock = new ManualClock();
    const memory = new MemoryRateLimitStore({ clock });
    for (const policy of [gcra(7, 3600), slidingWindow(7, 86_400), backoff({ freeAttempts: 2, delaysSeconds: [600], limit: 4, lockSeconds: 3600, forgetSeconds: 86_400 })]) {
      const key = `parity:${policy.algorithm}`;
      for (const cost of [1, 2, 1, 3, 1, 8, 1, 1]) {
        // The memory store runs at Redis' time. The two are a millisecond or so apart, which can tip a whole-second
        // rounding: counts must agree exactly, times to within a second.
        const [seconds = '0', micros = '0'] = await client.time();
        clock.set(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
        const fromRedis = await store.consume(key, cost, policy);
        const fromMemory = memory.consume(key, cost, policy);
        expect({ ...fromRedis, resetSeconds: 0, retryAfterSeconds: 0 }).toEqual({ ...fromMemory, resetSeconds: 0, retryAfterSeconds: 0 });
        expect(Math.abs(fromRedis.resetSeconds - fromMemory.resetSeconds)).toBeLessThanOrEqual(1);
        expect(Math.abs((fromRedis.retryAfterSeconds ?? 0) - (fromMemory.retryAfterSeconds ?? 0))).toBeLessThanOrEqual(1);
      }
    }
  });

  it('uses one hash-tagged key with a TTL no longer than the period, so Redis memory stays bounded', async () => {
    const store = new RedisRateLimitStore({ client, prefix, timeoutMs: 10_000 });
    await store.consume('ttl', 1, gcra(10, 60));
    const key = store.redisKey('ttl');
    expect(key).toBe(`${prefix}:{ttl}`);
    const ttl = await client.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(6_000);
  });

  it('falls back to EVAL after SCRIPT FLUSH, and EVALSHA works again afterwards', async () => {
    const store = new RedisRateLimitStore({ client, prefix, timeoutMs: 10_000 });
    await client.script('FLUSH');
    expect(await client.script('EXISTS', RATE_LIMIT_SCRIPT_SHA)).toEqual([0]);
    expect((await store.consume('flush', 1, gcra(2, 60))).allowed).toBe(true);
    expect(await client.script('EXISTS', RATE_LIMIT_SCRIPT_SHA)).toEqual([1]);
    expect((await store.consume('flush', 1, gcra(2, 60))).remaining).toBe(0);
  });

  it('login throttle over Redis: locks, and a success resets', async () => {
    const store = new RedisRateLimitStore({ client, prefix, timeoutMs: 10_000 });
    const throttle = loginThrottle({ store, perAccount: { freeAttempts: 2, delaysSeconds: [600], lockAfter: 3, lockSeconds: 900 } });
    expect((await throttle.check('carol', '203.0.113.9')).allowed).toBe(true);
    expect((await throttle.check('carol', '203.0.113.9')).allowed).toBe(true);
    expect(await throttle.check('carol', '203.0.113.9')).toMatchObject({ allowed: false, reason: 'throttled', retryAfterSeconds: 600 });
    await throttle.recordSuccess('carol', '203.0.113.9');
    expect((await throttle.check('carol', '203.0.113.9')).allowed).toBe(true);
  });
});

describe('RedisRateLimitStore when Redis is down', () => {
  // Port 1 on loopback: nothing listens, connections are refused at once. No Redis needed for this block.
  let dead: Redis;
  // A client with ioredis' defaults: commands wait in the offline queue while it keeps reconnecting.
  let queueing: Redis;

  beforeAll(() => {
    dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    dead.on('error', () => undefined);
    queueing = new Redis('redis://127.0.0.1:1');
    queueing.on('error', () => undefined);
  });

  afterAll(() => {
    dead.disconnect();
    queueing.disconnect();
  });

  it('fails with a RateLimitStoreError', async () => {
    const store = new RedisRateLimitStore({ client: dead, timeoutMs: 1_000 });
    await expect(store.consume('k', 1, gcra(1, 1))).rejects.toBeInstanceOf(RateLimitStoreError);
  });

  it('the configured policy holds, and once the breaker is open Redis is not called at all', async () => {
    for (const [onStoreError, client] of [['closed', dead], ['open', queueing], ['closed', queueing]] as const) {
      const clock = new ManualClock();
      const store = new CountingStore(new RedisRateLimitStore({ client, timeoutMs: 50 }));
      const breaker = new CircuitBreaker({ failures: 3, openSeconds: 30, clock });
      const chain = createChain({ guards: [rateLimit({ store, policy: gcra(5, 60), breaker, onStoreError })] });
      const outcomes = [];
      for (let i = 0; i < 200; i++) outcomes.push(await settle(chain.run(request('203.0.113.9'))));
      expect(outcomes.every((outcome) => outcome.verdict.action === (onStoreError === 'open' ? 'continue' : 'deny'))).toBe(true);
      expect(store.calls).toBe(3);
      expect(breaker.state).toBe('open');
      // While open, the guard answers synchronously: no store round trip, no timeout to wait out.
      expect(chain.run(request('203.0.113.9'))).not.toBeInstanceOf(Promise);
    }
  });

  it('a hung store is cut off by the timeout', async () => {
    const hung = { evalsha: () => new Promise<never>(() => undefined), eval: () => new Promise<never>(() => undefined), del: () => new Promise<never>(() => undefined) };
    const store = new RedisRateLimitStore({ client: hung as unknown as Redis, timeoutMs: 20 });
    await expect(store.consume('k', 1, gcra(1, 1))).rejects.toBeInstanceOf(RateLimitStoreError);
  });
});
