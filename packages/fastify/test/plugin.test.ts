import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTINUE, contextKey, createChain, deny, problem, type Guard } from '@rampart/core/http';
import { RampartState, problemForError, rampart } from '../src/index.js';

const MARK = contextKey<string>('mark');

/** Sets headers and cookies the way real guards do, and answers a few paths itself. */
const testGuard: Guard = (request, context) => {
  context.response.set('x-test', 'on');
  context.response.addCookie('a=1; Path=/');
  context.response.addCookie('b=2; Path=/');
  context.set(MARK, 'marked');
  if (request.path.endsWith('/denied')) {
    return deny(problem(429, 'rate-limit', 'Too Many Requests', { headers: { 'retry-after': '7' } }));
  }
  if (request.method === 'OPTIONS') return { action: 'respond', status: 204 };
  return CONTINUE;
};
const asyncGuard: Guard = (request) => Promise.resolve(request.path === '/async-denied' ? deny(problem(403, 'no', 'Forbidden')) : CONTINUE);

let app: FastifyInstance;
let base: string;
const reported: string[] = [];

beforeAll(async () => {
  app = Fastify();
  await app.register(rampart, {
    guards: [testGuard, asyncGuard],
    report: (error, correlationId) => {
      reported.push(`${error instanceof Error ? error.message : 'unknown'}|${correlationId}`);
    },
  });
  app.get('/state', (request) => {
    const state = request.rampart;
    return { isState: state instanceof RampartState, clientIp: state?.clientIp, mark: state?.get(MARK) };
  });
  app.get('/async-ok', () => 'ok');
  app.get('/throws', () => {
    throw new Error('SELECT password FROM users at /srv/app.js:12');
  });
  app.get('/validated', { schema: { querystring: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } }, () => 'ok');
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app.close();
});

describe('the Fastify plugin', () => {
  it('applies the guards headers and cookies and decorates the request', async () => {
    const response = await fetch(`${base}/state`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-test')).toBe('on');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(await response.json()).toEqual({ isState: true, clientIp: '127.0.0.1', mark: 'marked' });
  });

  it('answers a deny with a problem and its headers from the onRequest hook', async () => {
    const response = await fetch(`${base}/denied`);
    expect(response.status).toBe(429);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json(?:; charset=utf-8)?$/);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(response.headers.get('x-test')).toBe('on');
    expect(await response.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
  });

  it('answers a respond verdict with the status and an empty body', async () => {
    const response = await fetch(`${base}/state`, { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  });

  it('applies an asynchronous chain outcome, allow and deny', async () => {
    expect((await fetch(`${base}/async-ok`)).status).toBe(200);
    expect((await fetch(`${base}/async-denied`)).status).toBe(403);
  });

  it('attack: a handler error becomes a 500 problem without message or stack; the operator gets both', async () => {
    const response = await fetch(`${base}/throws`);
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json(?:; charset=utf-8)?$/);
    expect(response.headers.get('x-test')).toBe('on');
    const text = await response.text();
    expect(text).not.toMatch(/SELECT|password|app\.js|at /);
    const body = JSON.parse(text) as { correlationId: string };
    expect(reported).toContain(`SELECT password FROM users at /srv/app.js:12|${body.correlationId}`);
  });

  it('attack: a schema validation error keeps its 400 but none of its details', async () => {
    const response = await fetch(`${base}/validated?n=abc`);
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ status: 400, type: 'about:blank', title: 'Bad Request' });
    expect(text).not.toMatch(/querystring|integer|must/);
  });

  it('the hook also runs for unknown routes', async () => {
    const response = await fetch(`${base}/nowhere`);
    expect(response.status).toBe(404);
    expect(response.headers.get('x-test')).toBe('on');
  });
});

describe('encapsulation', () => {
  let scoped: FastifyInstance;
  let scopedBase: string;

  beforeAll(async () => {
    scoped = Fastify();
    await scoped.register(
      async (api) => {
        await api.register(rampart, { chain: createChain({ guards: [testGuard] }) });
        api.get('/inside', (request) => ({ decorated: request.rampart instanceof RampartState }));
        api.get('/denied', () => 'never');
      },
      { prefix: '/api' },
    );
    scoped.get('/outside', (request) => ({ decorated: request.rampart instanceof RampartState }));
    scopedBase = await scoped.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await scoped.close();
  });

  it('registered in a prefixed plugin, it guards that plugin only', async () => {
    const inside = await fetch(`${scopedBase}/api/inside`);
    expect(inside.headers.get('x-test')).toBe('on');
    expect(await inside.json()).toEqual({ decorated: true });
    expect((await fetch(`${scopedBase}/api/denied`)).status).toBe(429);

    const outside = await fetch(`${scopedBase}/outside`);
    expect(outside.headers.get('x-test')).toBeNull();
    expect(await outside.json()).toEqual({ decorated: false });
  });
});

describe('options', () => {
  it('body parsers enforce their own limits without a body guard; body: false keeps the application parsers', async () => {
    const guarded = Fastify();
    await guarded.register(rampart, { guards: [], body: { maxBytes: 64, maxDepth: 3, maxFields: 3 } });
    guarded.post('/echo', (request) => ({ body: request.body }));
    const own = Fastify();
    await own.register(rampart, { guards: [], body: false });
    own.post('/echo', (request) => ({ body: request.body }));
    try {
      const inject = (app: FastifyInstance, payload: string, type = 'application/json') =>
        app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': type }, payload });
      expect((await inject(guarded, '{"a":[1]}')).json()).toEqual({ body: { a: [1] } });
      expect((await inject(guarded, JSON.stringify({ a: 'x'.repeat(100) }))).statusCode).toBe(413);
      expect((await inject(guarded, '[[[[1]]]]')).statusCode).toBe(400);
      expect((await inject(guarded, '{"__proto__":{"polluted":1}}')).statusCode).toBe(400);
      expect((await inject(guarded, 'a=1&b=2&c=3&d=4', 'application/x-www-form-urlencoded')).statusCode).toBe(400);
      expect((await inject(guarded, 'a=1&a=2&__proto__=x', 'application/x-www-form-urlencoded')).body).toBe('{"body":{"a":["1","2"],"__proto__":"x"}}');
      // Fastify's own JSON parser (1 MiB default, no depth limit) is still in place.
      expect((await inject(own, '[[[[1]]]]')).statusCode).toBe(200);
      expect((await inject(own, 'a=1', 'application/x-www-form-urlencoded')).statusCode).toBe(415);
      expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
    } finally {
      await guarded.close();
      await own.close();
    }
  });

  it('errorHandler: false leaves error handling to the application, which can use problemForError', async () => {
    const app = Fastify();
    await app.register(rampart, { guards: [], errorHandler: false });
    app.setErrorHandler((error, _request, reply) => reply.code(problemForError(error).status).send({ mine: true }));
    app.get('/throws', () => {
      throw new Error('internal detail');
    });
    try {
      const response = await app.inject({ method: 'GET', url: '/throws' });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({ mine: true });
    } finally {
      await app.close();
    }
  });
});
