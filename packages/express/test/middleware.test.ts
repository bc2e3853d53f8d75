import express, { type Express } from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTINUE, contextKey, createChain, deny, problem, type Guard } from '@rampart/core/http';
import { RampartState, rampart, rampartErrors, rampartForm, rampartJson } from '../src/index.js';

const MARK = contextKey<string>('mark');

/** Sets headers and cookies the way real guards do, and answers a few paths itself. */
const testGuard: Guard = (request, context) => {
  context.response.set('x-test', 'on');
  context.response.appendList('vary', 'Origin');
  context.response.addCookie('a=1; Path=/');
  context.response.addCookie('b=2; Path=/');
  context.set(MARK, 'marked');
  if (request.path === '/denied') {
    return deny(problem(429, 'rate-limit', 'Too Many Requests', { detail: 'Slow down.', headers: { 'retry-after': '7' } }));
  }
  if (request.method === 'OPTIONS') return { action: 'respond', status: 204 };
  return CONTINUE;
};

const asyncGuard: Guard = (request) => Promise.resolve(request.path === '/async-denied' ? deny(problem(403, 'no', 'Forbidden')) : CONTINUE);
const throwingGuard: Guard = (request) => {
  if (request.path === '/guard-throws') throw new Error('SELECT secret FROM users');
  return CONTINUE;
};

let server: Server;
let base: string;
const reported: string[] = [];

function buildApp(): Express {
  const app = express();
  app.use(rampart({ guards: [testGuard, asyncGuard, throwingGuard] }));
  app.get('/state', (_req, res) => {
    const state = res.locals.rampart;
    res.json({
      isState: state instanceof RampartState,
      clientIp: state?.clientIp,
      mark: state?.get(MARK),
      correlationId: state?.correlationId,
    });
  });
  app.get('/async-ok', (_req, res) => {
    res.send('ok');
  });
  app.get('/throws', () => {
    throw new Error('SELECT password FROM users at /srv/app.js:12');
  });
  app.get('/client-error', () => {
    throw Object.assign(new Error('bad input at line 3'), { status: 422 });
  });
  app.use(
    rampartErrors({
      report: (error, correlationId) => {
        reported.push(`${error instanceof Error ? error.message : 'unknown'}|${correlationId}`);
      },
    }),
  );
  return app;
}

beforeAll(async () => {
  server = createServer(buildApp());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => {
    server.close((error) => {
      if (error) reject(error);
      else resolve();
    });
  });
});

describe('rampart() for Express', () => {
  it('applies the guards headers and cookies, removes x-powered-by, and exposes the state', async () => {
    const response = await fetch(`${base}/state`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-test')).toBe('on');
    expect(response.headers.get('vary')).toMatch(/Origin/);
    expect(response.headers.get('x-powered-by')).toBeNull();
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ isState: true, clientIp: '127.0.0.1', mark: 'marked' });
    expect(body.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers a deny with a problem, its headers and the chain headers; the route never runs', async () => {
    const response = await fetch(`${base}/denied`);
    expect(response.status).toBe(429);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('retry-after')).toBe('7');
    expect(response.headers.get('x-test')).toBe('on');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 429, title: 'Too Many Requests', type: 'https://rampart.dev/problems/rate-limit' });
    expect(typeof body.correlationId).toBe('string');
  });

  it('answers a respond verdict with the status and an empty body', async () => {
    const response = await fetch(`${base}/state`, { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect(response.headers.get('x-test')).toBe('on');
  });

  it('applies an asynchronous chain outcome, allow and deny', async () => {
    expect((await fetch(`${base}/async-ok`)).status).toBe(200);
    const denied = await fetch(`${base}/async-denied`);
    expect(denied.status).toBe(403);
    expect(denied.headers.get('content-type')).toBe('application/problem+json');
  });

  it('attack: a guard that throws fails closed with a generic 500, nothing of the error sent', async () => {
    const response = await fetch(`${base}/guard-throws`);
    expect(response.status).toBe(500);
    expect(await response.text()).not.toMatch(/SELECT|secret|Error:/);
  });

  it('attack: a handler error becomes a 500 problem without message or stack; the operator gets both', async () => {
    const response = await fetch(`${base}/throws`, {
      headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    });
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('x-test')).toBe('on');
    const text = await response.text();
    expect(text).not.toMatch(/SELECT|password|app\.js|at /);
    expect(JSON.parse(text)).toMatchObject({ status: 500, correlationId: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(reported).toContain('SELECT password FROM users at /srv/app.js:12|4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('a 4xx error keeps its status with the standard reason phrase only', async () => {
    const response = await fetch(`${base}/client-error`);
    expect(response.status).toBe(422);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 422, type: 'about:blank', title: 'Unprocessable Entity' });
    expect(JSON.stringify(body)).not.toMatch(/line 3/);
  });

  it('accepts a prebuilt chain', async () => {
    const app = express();
    app.use(rampart({ chain: createChain({ guards: [testGuard] }) }));
    app.get('/x', (_req, res) => {
      res.send('x');
    });
    const local = createServer(app);
    await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(local.address() as AddressInfo).port}/x`);
      expect(response.headers.get('x-test')).toBe('on');
    } finally {
      await new Promise<void>((resolve) => {
        local.close(() => {
          resolve();
        });
      });
    }
  });
});

describe('mounting and body parsers', () => {
  let local: Server;
  let localBase: string;
  const seenPaths: string[] = [];
  const recordPath: Guard = (request) => {
    seenPaths.push(request.path);
    return CONTINUE;
  };

  beforeAll(async () => {
    const app = express();
    app.use('/api', rampart({ guards: [recordPath] }));
    app.get('/api/orders', (_req, res) => {
      res.send('ok');
    });
    // No chain in front: the parsers' own limits apply.
    app.post('/bare/json', rampartJson({ maxBytes: 64 }), (req, res) => {
      res.json({ body: req.body as unknown });
    });
    app.post('/bare/form', rampartForm({ maxBytes: 64, maxFields: 3 }), (req, res) => {
      res.json({ body: req.body as unknown });
    });
    local = createServer(app);
    await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
    localBase = `http://127.0.0.1:${(local.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      local.close(() => {
        resolve();
      });
    });
  });

  it('guards under app.use(prefix) see the path the client sent', async () => {
    await fetch(`${localBase}/api/orders?x=1`);
    expect(seenPaths).toContain('/api/orders');
  });

  it('rampartJson parses JSON within its own limit and refuses the rest as problems', async () => {
    const post = (body: string, type = 'application/json') => fetch(`${localBase}/bare/json`, { method: 'POST', headers: { 'content-type': type }, body });
    expect(await (await post('{"a":1}')).json()).toEqual({ body: { a: 1 } });
    const large = await post(JSON.stringify({ a: 'x'.repeat(100) }));
    expect(large.status).toBe(413);
    expect(large.headers.get('content-type')).toBe('application/problem+json');
    expect((await post('{"a":1}', 'text/plain')).status).toBe(415);
    expect((await post('{"__proto__":{"polluted":1}}')).status).toBe(400);
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
  });

  it('rampartForm parses forms without a prototype, within its limits', async () => {
    const post = (body: string) =>
      fetch(`${localBase}/bare/form`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    // `__proto__` stays an ordinary field: compared as text, since an object literal would treat it as the prototype.
    expect(await (await post('a=1&a=2&__proto__=x')).text()).toBe('{"body":{"a":["1","2"],"__proto__":"x"}}');
    expect((await post('a=1&b=2&c=3&d=4')).status).toBe(400);
    expect((await post(`a=${'x'.repeat(100)}`)).status).toBe(413);
  });
});
