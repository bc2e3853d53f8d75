import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, send } from './client.js';
import { ADAPTERS, SECRET_ERROR, startApp, type RunningApp } from './servers.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe.each(ADAPTERS)('errors and response headers through %s', (adapter) => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp(adapter);
  });

  afterAll(async () => {
    await app.close();
  });

  it('attack: a handler that throws yields a 500 problem with a correlation id, no message, no stack', async () => {
    const reply = await send(app.port, { path: '/boom' });
    expect(reply.status).toBe(500);
    expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = json(reply);
    expect(body).toMatchObject({ status: 500, type: 'https://rampart.dev/problems/internal', title: 'Internal Server Error' });
    expect(body.correlationId).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(Object.keys(body).sort()).toEqual(['correlationId', 'detail', 'status', 'title', 'type']);
    expect(reply.text).not.toContain(SECRET_ERROR);
    expect(reply.text).not.toContain('secret_column');
    expect(reply.text).not.toMatch(/SELECT|stack|Error:|\bat \/|\.ts:\d+|node_modules/);
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
  });

  it('the correlation id joins a well-formed W3C trace; a malformed one is not echoed', async () => {
    const traced = await send(app.port, { path: '/boom', headers: { traceparent: TRACEPARENT } });
    expect(json(traced).correlationId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    const hostile = await send(app.port, { path: '/boom', headers: { traceparent: '00-<script>-x' } });
    expect(hostile.text).not.toContain('<script>');
  });

  it('refusals are problems with a correlation id too', async () => {
    const reply = await send(app.port, { method: 'POST', path: '/orders', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(reply.status).toBe(403);
    expect(json(reply).correlationId).toMatch(/^[0-9a-f-]{32,36}$/);
  });

  it('X-Powered-By is absent', async () => {
    for (const path of ['/public', '/boom', '/nowhere']) {
      const reply = await send(app.port, { path });
      expect(reply.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('security headers are on every response: allowed, refused, failed', async () => {
    const replies = [
      await send(app.port, { path: '/public' }),
      await send(app.port, { method: 'POST', path: '/orders', headers: { 'content-type': 'application/json' }, body: '{}' }),
      await send(app.port, { path: '/boom' }),
    ];
    for (const reply of replies) {
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(reply.headers['content-security-policy']).toMatch(/default-src 'none'/);
      expect(reply.headers['cross-origin-resource-policy']).toBe('same-origin');
      expect(reply.headers['x-frame-options']).toBe('DENY');
      expect(reply.headers['cache-control']).toBe('no-store');
    }
  });

  it('HSTS is not sent over plain http (browsers ignore it there and it could be forged)', async () => {
    const reply = await send(app.port, { path: '/public' });
    expect(reply.headers['strict-transport-security']).toBeUndefined();
  });
});
