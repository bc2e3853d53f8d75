/*
 * Exactness across processes and the real Redis server: with a limit of N, 1,000 concurrent requests from 4 client
 * processes, through each adapter, admit exactly N. An attacker who spreads a burst over many connections and
 * processes gets no more than the limit.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRateLimitStore } from '@rampart/core/ratelimit';
import { ADAPTERS, startApp, type RunningApp } from './servers.js';

const REDIS_URL = process.env.RAMPART_TEST_REDIS_URL;
const LIMIT = 37;
const PROCESSES = 4;
const PER_PROCESS = 250;
const run = promisify(execFile);
const client = fileURLToPath(new URL('./load-client.ts', import.meta.url));

describe.skipIf(REDIS_URL === undefined).each(ADAPTERS)('rate limit on real Redis through %s (needs RAMPART_TEST_REDIS_URL)', (adapter) => {
  let redis: Redis;
  let app: RunningApp;
  const prefix = `rampart-conformance-${randomUUID()}`;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL ?? '', { maxRetriesPerRequest: 1 });
    app = await startApp(adapter, { rateLimitStore: new RedisRateLimitStore({ client: redis, prefix, timeoutMs: 10_000 }), rateLimit: LIMIT });
  });

  afterAll(async () => {
    await app.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it(`admits exactly ${LIMIT} of ${PROCESSES * PER_PROCESS} concurrent requests from ${PROCESSES} processes`, async () => {
    const children = await Promise.all(
      Array.from({ length: PROCESSES }, () =>
        run(process.execPath, ['--import', 'tsx', client, String(app.port), '/limited', String(PER_PROCESS)], { timeout: 120_000 }),
      ),
    );
    const totals: Record<string, number> = {};
    for (const { stdout } of children) {
      for (const [status, count] of Object.entries(JSON.parse(stdout) as Record<string, number>)) totals[status] = (totals[status] ?? 0) + count;
    }
    expect(totals).toEqual({ '200': LIMIT, '429': PROCESSES * PER_PROCESS - LIMIT });
  });
});
