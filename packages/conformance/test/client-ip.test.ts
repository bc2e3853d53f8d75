import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, send } from './client.js';
import { ADAPTERS, RATE_LIMIT, startApp, type RunningApp } from './servers.js';

describe.each(ADAPTERS)('client address through %s', (adapter) => {
  let app: RunningApp;
  let trusting: RunningApp;

  beforeAll(async () => {
    app = await startApp(adapter);
    trusting = await startApp(adapter, { trustLoopbackProxy: true });
  });

  afterAll(async () => {
    await app.close();
    await trusting.close();
  });

  it('attack: a spoofed X-Forwarded-For from an untrusted peer does not change the client IP', async () => {
    for (const spoofed of ['203.0.113.9', '10.0.0.1', '127.0.0.1, 203.0.113.9', 'unknown', '::1']) {
      const reply = await send(app.port, { path: '/ip', headers: { 'x-forwarded-for': spoofed, forwarded: 'for=198.51.100.4' } });
      expect(json(reply).ip).toBe('127.0.0.1');
    }
  });

  it('the same header from a trusted proxy is honoured (the control: the test above can fail)', async () => {
    const reply = await send(trusting.port, { path: '/ip', headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(json(reply).ip).toBe('203.0.113.9');
  });

  it('attack: rotating X-Forwarded-For does not give a new rate-limit key', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < RATE_LIMIT + 3; attempt += 1) {
      const reply = await send(app.port, { path: '/limited-xff', headers: { 'x-forwarded-for': `198.51.100.${attempt + 1}` } });
      statuses.push(reply.status);
    }
    expect(statuses).toEqual([...Array<number>(RATE_LIMIT).fill(200), 429, 429, 429]);
  });

  it('behind a trusted proxy, distinct forwarded clients get distinct keys (the control)', async () => {
    for (let attempt = 0; attempt < RATE_LIMIT + 3; attempt += 1) {
      const reply = await send(trusting.port, { path: '/limited-xff', headers: { 'x-forwarded-for': `198.51.100.${attempt + 1}` } });
      expect(reply.status).toBe(200);
    }
  });
});
