import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from './client.js';
import { ADAPTERS, ALLOWED_ORIGIN, startApp, type RunningApp } from './servers.js';

/** Look-alikes of the allowed origin: none of them may be granted access. */
const HOSTILE_ORIGINS: readonly string[] = [
  'https://evil.com',
  'null',
  'https://app.example.com.evil.com',
  'https://evilapp.example.com',
  'https://app-example.com',
  'http://app.example.com',
  'https://app.example.com:8443',
  'https://app.example.com:443',
  'https://app.example.com%60evil.com',
  'https://app.example.com`evil.com',
  'https://app.example.com_evil.com',
  'https://app.example.com@evil.com',
  'https://app.example.com/',
  'https://app.example.com.',
  'https://APP.EXAMPLE.COM.',
  'https://APP.EXAMPLE.COM',
  'https://App.Example.Com',
  'HTTPS://app.example.com',
  'https://app.example.co',
  'https://sub.app.example.com',
  'https://app.example.com, https://evil.com',
  'https://app.example.com https://evil.com',
  'https://evil.com/https://app.example.com',
  'https://xn--pp-example-4ib.com',
  '*',
  '',
];

describe.each(ADAPTERS)('CORS through %s', (adapter) => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp(adapter);
  });

  afterAll(async () => {
    await app.close();
  });

  it.each(HOSTILE_ORIGINS)('attack: origin %j gets no Access-Control-Allow-Origin', async (origin) => {
    const reply = await send(app.port, { path: '/public', headers: { origin } });
    expect(reply.headers['access-control-allow-origin']).toBeUndefined();
    expect(reply.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it.each(HOSTILE_ORIGINS.slice(0, 10))('attack: a preflight from %j is not granted', async (origin) => {
    const reply = await send(app.port, {
      method: 'OPTIONS',
      path: '/orders',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(reply.headers['access-control-allow-origin']).toBeUndefined();
    expect(reply.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('the allowed origin gets Access-Control-Allow-Origin with Vary: Origin', async () => {
    const reply = await send(app.port, { path: '/public', headers: { origin: ALLOWED_ORIGIN } });
    expect(reply.status).toBe(200);
    expect(reply.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(reply.headers.vary?.toLowerCase()).toContain('origin');
  });

  it('a response that depends on Origin says so even to a refused origin (caches must not mix them)', async () => {
    const reply = await send(app.port, { path: '/public', headers: { origin: 'https://evil.com' } });
    expect(reply.headers.vary?.toLowerCase()).toContain('origin');
  });

  it('the allowed origin gets its preflight answered by the chain, empty', async () => {
    const reply = await send(app.port, {
      method: 'OPTIONS',
      path: '/orders',
      headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(reply.status).toBe(204);
    expect(reply.text).toBe('');
    expect(reply.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(reply.headers['access-control-allow-methods']).toMatch(/POST/);
  });
});
