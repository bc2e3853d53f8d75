import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, send } from './client.js';
import { ADAPTERS, RATE_LIMIT, startApp, type RunningApp } from './servers.js';

const CONCURRENT = RATE_LIMIT * 6;

describe.each(ADAPTERS)('rate limit through %s', (adapter) => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp(adapter);
  });

  afterAll(async () => {
    await app.close();
  });

  it(`exactly ${RATE_LIMIT} of ${CONCURRENT} concurrent requests pass; the rest get 429 with Retry-After and RateLimit`, async () => {
    const replies = await Promise.all(Array.from({ length: CONCURRENT }, () => send(app.port, { path: '/limited' })));
    const passed = replies.filter((reply) => reply.status === 200);
    const refused = replies.filter((reply) => reply.status === 429);
    expect(passed).toHaveLength(RATE_LIMIT);
    expect(refused).toHaveLength(CONCURRENT - RATE_LIMIT);
    for (const reply of refused) {
      expect(reply.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(reply.headers.ratelimit).toBeDefined();
      expect(reply.headers['ratelimit-policy']).toBeDefined();
      expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(json(reply).status).toBe(429);
      // Refusals still carry the security headers of the guards before the limiter.
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
    }
    for (const reply of passed) {
      expect(reply.headers.ratelimit).toBeDefined();
      expect(reply.headers['ratelimit-policy']).toBeDefined();
    }
  });

  it('a route without a limit is not counted', async () => {
    const replies = await Promise.all(Array.from({ length: RATE_LIMIT * 2 }, () => send(app.port, { path: '/public' })));
    expect(replies.every((reply) => reply.status === 200)).toBe(true);
  });
});
