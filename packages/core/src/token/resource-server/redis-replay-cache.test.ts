/*
 * The Redis replay cache against a real Redis (RAMPART_TEST_REDIS_URL): atomic first-use across connections, expiry
 * by Redis, and the attack it exists for: a DPoP proof accepted by one resource-server instance and replayed at
 * another instance sharing the Redis is refused. Without Redis, only the "Redis is down" block runs.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { AUDIENCE, RESOURCE_URL, dpopClient, startIssuer, type TestIssuer } from './issuer.fixtures.js';
import { RedisReplayCache, ReplayCacheUnavailableError } from './redis-replay-cache.js';
import { createResourceServer, type ResourceServer } from './resource-server.js';

const url = process.env.RAMPART_TEST_REDIS_URL;
const prefix = `rs-replay-test-${process.pid}-${Date.now()}`;

describe.runIf(url !== undefined)('RedisReplayCache against a real Redis (needs RAMPART_TEST_REDIS_URL)', () => {
  let first: Redis;
  let second: Redis;
  let issuer: TestIssuer;
  const servers: ResourceServer[] = [];

  beforeAll(async () => {
    // Two connections: two instances of a service share the Redis, not a client object.
    first = new Redis(url ?? '', { maxRetriesPerRequest: 1 });
    second = new Redis(url ?? '', { maxRetriesPerRequest: 1 });
    issuer = await startIssuer();
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await issuer.close();
    const keys = await first.keys(`${prefix}*`);
    if (keys.length > 0) await first.del(...keys);
    await Promise.all([first.quit(), second.quit()]);
  });

  it('remembers a value once, with a time-to-live Redis enforces', async () => {
    const cache = new RedisReplayCache({ client: first, prefix });
    expect(await cache.checkAndRemember('jti-1', Date.now() + 60_000)).toBe(true);
    expect(await cache.checkAndRemember('jti-1', Date.now() + 60_000)).toBe(false);
    const ttl = await first.pttl(cache.redisKey('jti-1'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    // A value that expires at once is gone from Redis by itself, and can be remembered again after.
    expect(await cache.checkAndRemember('jti-short', Date.now() + 50)).toBe(true);
    for (let tries = 0; tries < 200 && (await first.exists(cache.redisKey('jti-short'))) === 1; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await cache.checkAndRemember('jti-short', Date.now() + 60_000)).toBe(true);
  });

  it('of 100 concurrent calls over two connections with the same key, exactly one wins', async () => {
    const caches = [new RedisReplayCache({ client: first, prefix }), new RedisReplayCache({ client: second, prefix })];
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => (caches[i % 2] ?? caches[0]!).checkAndRemember('race', Date.now() + 60_000)));
    expect(results.filter((won) => won)).toHaveLength(1);
  });

  it('refuses empty, over-long and already expired keys without writing them', async () => {
    const cache = new RedisReplayCache({ client: first, prefix, maxKeyLength: 64 });
    expect(await cache.checkAndRemember('', Date.now() + 60_000)).toBe(false);
    expect(await cache.checkAndRemember('k'.repeat(65), Date.now() + 60_000)).toBe(false);
    expect(await cache.checkAndRemember('expired', Date.now() - 1)).toBe(false);
    expect(await first.exists(cache.redisKey('expired'))).toBe(0);
  });

  it('attack: a DPoP proof accepted by one instance is refused when replayed at a second instance sharing Redis', async () => {
    const instance = (client: Redis): ResourceServer => {
      const server = createResourceServer({
        issuer: issuer.url,
        audience: AUDIENCE,
        allowInsecureIssuer: true,
        fetch: { allowAddresses: ['127.0.0.1/32'], allowPorts: [issuer.port] },
        dpop: { replayCache: new RedisReplayCache({ client, prefix }) },
      });
      servers.push(server);
      return server;
    };
    const [a, b] = [instance(first), instance(second)];
    const client = await dpopClient();
    const token = await issuer.mint({ cnf: { jkt: client.thumbprint } });
    const proof = await client.proof('GET', RESOURCE_URL, token);
    const request = { method: 'GET', url: RESOURCE_URL, headers: { authorization: `DPoP ${token}`, dpop: proof } };
    const atA = await a.authenticate(request);
    expect(atA.ok).toBe(true);
    const atB = await b.authenticate(request);
    expect(atB.ok ? 'accepted' : atB.reason).toBe('dpop_replayed');
    // A fresh proof from the same client is fine at either instance.
    expect((await b.authenticate({ ...request, headers: { ...request.headers, dpop: await client.proof('GET', RESOURCE_URL, token) } })).ok).toBe(true);
    // What Redis holds is a digest under the prefix: no token, no proof, no jti in clear.
    const keys = await first.keys(`${prefix}:dpop:*`);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const key of keys) expect(key).toMatch(new RegExp(`^${prefix}:dpop:[A-Za-z0-9_-]{43}$`));
  });
});

describe('RedisReplayCache when Redis is down', () => {
  // Port 1 on loopback: nothing listens. ioredis' defaults keep commands in the offline queue while it reconnects.
  let queueing: Redis;
  let dead: Redis;

  beforeAll(() => {
    queueing = new Redis('redis://127.0.0.1:1');
    queueing.on('error', () => undefined);
    dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    dead.on('error', () => undefined);
  });

  afterAll(() => {
    queueing.disconnect();
    dead.disconnect();
  });

  it('fails closed: a call that Redis cannot answer rejects with ReplayCacheUnavailableError, never true', async () => {
    await expect(new RedisReplayCache({ client: queueing, timeoutMs: 50 }).checkAndRemember('k', Date.now() + 60_000)).rejects.toBeInstanceOf(
      ReplayCacheUnavailableError,
    );
    await expect(new RedisReplayCache({ client: dead }).checkAndRemember('k', Date.now() + 60_000)).rejects.toMatchObject({
      code: 'REPLAY_CACHE_UNAVAILABLE',
    });
  });

  it('refuses unsafe configuration', () => {
    expect(() => new RedisReplayCache({ client: dead, prefix: 'a b' })).toThrow(ConfigurationError);
    expect(() => new RedisReplayCache({ client: dead, timeoutMs: 0 })).toThrow(ConfigurationError);
  });
});
