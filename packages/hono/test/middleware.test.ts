import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTINUE, contextKey, createChain, deny, problem, type Guard } from '@rampart/core/http';
import { RampartState, rampart, rampartForm, rampartJson, rampartOnError, type RampartEnv } from '../src/index.js';

const MARK = contextKey<string>('mark');

/** Sets headers and cookies the way real guards do, and answers a few paths itself. */
const testGuard: Guard = (request, context) => {
  context.response.set('x-test', 'on');
  context.response.addCookie('a=1; Path=/');
  context.response.addCookie('b=2; Path=/');
  context.set(MARK, 'marked');
  if (request.path === '/denied') {
    return deny(problem(429, 'rate-limit', 'Too Many Requests', { headers: { 'retry-after': '7' } }));
  }
  if (request.method === 'OPTIONS') return { action: 'respond', status: 204 };
  return CONTINUE;
};
const asyncGuard: Guard = (request) => Promise.resolve(request.path === '/async-denied' ? deny(problem(403, 'no', 'Forbidden')) : CONTINUE);

let server: ServerType;
let base: string;
const reported: string[] = [];

beforeAll(async () => {
  const app = new Hono<RampartEnv>();
  app.use(rampart({ guards: [testGuard, asyncGuard] }));
  app.get('/state', (c) => {
    const state = c.get('rampart');
    return c.json({ isState: state instanceof RampartState, clientIp: state.clientIp, mark: state.get(MARK) });
  });
  app.get('/async-ok', (c) => c.text('ok'));
  app.get('/raw', () => new Response('raw', { headers: { 'x-test': 'handler', 'content-type': 'text/plain' } }));
  app.get('/raw-plain', () => new Response('raw'));
  app.get('/throws', () => {
    throw new Error('SELECT password FROM users at /srv/app.js:12');
  });
  app.get('/client-error', () => {
    throw new HTTPException(422, { message: 'bad input at line 3' });
  });
  app.onError(
    rampartOnError({
      report: (error, correlationId) => {
        reported.push(`${error instanceof Error ? error.message : "unknown"}|${correlationId}`);
      },
    }),
  );
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      base = `http://127.0.0.1:${info.port}`;
      resolve();
    });
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
});

describe('rampart() for Hono', () => {
  it('applies the guards headers and cookies before next() and exposes the state', async () => {
    const response = await fetch(`${base}/state`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-test')).toBe('on');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(await response.json()).toEqual({ isState: true, clientIp: '127.0.0.1', mark: 'marked' });
  });

  it('under @hono/node-server, a raw Response still gets the guards headers; its own headers win', async () => {
    const plain = await fetch(`${base}/raw-plain`);
    expect(plain.headers.get('x-test')).toBe('on');
    expect(await plain.text()).toBe('raw');
    const own = await fetch(`${base}/raw`);
    expect(own.headers.get('x-test')).toBe('handler');
  });

  it('answers a deny with a problem and its headers', async () => {
    const response = await fetch(`${base}/denied`);
    expect(response.status).toBe(429);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('retry-after')).toBe('7');
    expect(response.headers.get('x-test')).toBe('on');
    expect(await response.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
  });

  it('answers a respond verdict with the status and an empty body', async () => {
    const response = await fetch(`${base}/state`, { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect(response.headers.get('x-test')).toBe('on');
  });

  it('applies an asynchronous chain outcome, allow and deny', async () => {
    expect((await fetch(`${base}/async-ok`)).status).toBe(200);
    expect((await fetch(`${base}/async-denied`)).status).toBe(403);
  });

  it('attack: a handler error becomes a 500 problem without message or stack, with the guards headers', async () => {
    const response = await fetch(`${base}/throws`);
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('x-test')).toBe('on');
    const text = await response.text();
    expect(text).not.toMatch(/SELECT|password|app\.js|at /);
    const body = JSON.parse(text) as { correlationId: string };
    expect(reported).toContain(`SELECT password FROM users at /srv/app.js:12|${body.correlationId}`);
  });

  it('an HTTPException keeps its status with the standard reason phrase only', async () => {
    const response = await fetch(`${base}/client-error`);
    expect(response.status).toBe(422);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ status: 422, type: 'about:blank', title: 'Unprocessable Entity' });
    expect(text).not.toMatch(/line 3/);
  });

  it('fails closed without a peer address outside @hono/node-server, and takes one from the option', async () => {
    const bare = new Hono<RampartEnv>();
    bare.use(rampart({ chain: createChain({ guards: [testGuard] }) }));
    bare.get('/x', (c) => c.text(c.get('rampart').clientIp));
    bare.onError(rampartOnError());
    const refused = await bare.request('/x');
    expect(refused.status).toBe(500);
    expect(await refused.text()).not.toMatch(/getConnInfo|peer/);

    const configured = new Hono<RampartEnv>();
    configured.use(rampart({ guards: [testGuard], peerAddress: () => '192.0.2.7' }));
    configured.get('/x', (c) => c.text(c.get('rampart').clientIp));
    const allowed = await configured.request('/x');
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toBe('192.0.2.7');
  });
});

describe('body middleware', () => {
  const app = new Hono<RampartEnv>();
  // No chain in front: the middleware's own limits apply.
  app.post('/json', rampartJson({ maxBytes: 64, maxDepth: 3 }), (c) => c.json({ body: c.get('body') }));
  app.post('/form', rampartForm({ maxBytes: 64, maxFields: 3 }), (c) => c.json({ body: c.get('body') }));
  const post = (path: string, body: string, type: string) => app.request(path, { method: 'POST', headers: { 'content-type': type }, body });

  it('rampartJson parses JSON within its limits and refuses the rest as problems', async () => {
    expect(await (await post('/json', '{"a":[1]}', 'application/json')).json()).toEqual({ body: { a: [1] } });
    const large = await post('/json', JSON.stringify({ a: 'x'.repeat(100) }), 'application/json');
    expect(large.status).toBe(413);
    expect(large.headers.get('content-type')).toBe('application/problem+json');
    expect((await post('/json', '[[[[1]]]]', 'application/json')).status).toBe(400);
    expect((await post('/json', '{"a":1}', 'text/plain')).status).toBe(415);
    expect((await post('/json', '{"constructor":{"prototype":{"polluted":1}}}', 'application/json')).status).toBe(400);
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
  });

  it('rampartForm parses forms without a prototype, within its limits', async () => {
    // `__proto__` stays an ordinary field: compared as text, since an object literal would treat it as the prototype.
    expect(await (await post('/form', 'a=1&a=2&__proto__=x', 'application/x-www-form-urlencoded')).text()).toBe(
      '{"body":{"a":["1","2"],"__proto__":"x"}}',
    );
    expect((await post('/form', 'a=1&b=2&c=3&d=4', 'application/x-www-form-urlencoded')).status).toBe(400);
    expect((await post('/form', `a=${'x'.repeat(100)}`, 'application/x-www-form-urlencoded')).status).toBe(413);
  });
});
