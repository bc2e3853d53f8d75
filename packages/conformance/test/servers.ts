/*
 * The same application on every framework: same guards, same routes, same answers. Each test file starts one per
 * adapter on 127.0.0.1:0 and closes it in afterAll.
 */
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyRing } from '@rampart/core/crypto';
import {
  CONTINUE,
  bodyLimits,
  cors,
  csrf,
  securityHeaders,
  serializeCookie,
  trustedProxies,
  type ChainOptions,
  type Guard,
  type RequestView,
} from '@rampart/core/http';
import { MemoryRateLimitStore, gcra, rateLimit, type RateLimitStore } from '@rampart/core/ratelimit';
import * as rampartExpress from '@rampart/express';
import * as rampartFastify from '@rampart/fastify';
import * as rampartHono from '@rampart/hono';

export type AdapterName = 'express' | 'fastify' | 'hono';
export const ADAPTERS: readonly AdapterName[] = ['express', 'fastify', 'hono'];

/** The one origin the application trusts, for CORS and CSRF. */
export const ALLOWED_ORIGIN = 'https://app.example.com';
/** Requests each client may make to `/limited` (and, separately, `/limited-xff`) in the test's lifetime. */
export const RATE_LIMIT = 5;
export const MAX_BODY_BYTES = 1024;
export const SESSION_COOKIE = '__Host-sid';
export const CSRF_COOKIE = '__Host-csrf';

export interface RunningApp {
  readonly adapter: AdapterName;
  readonly port: number;
  close(): Promise<void>;
}

export interface AppOptions {
  /** Trust forwarding headers from 127.0.0.1 (the test client): the control that shows the spoofing test can fail. */
  readonly trustLoopbackProxy?: boolean;
  /** The store behind `/limited` and `/limited-xff`; default a fresh in-memory store. */
  readonly rateLimitStore?: RateLimitStore;
  /** Requests allowed on `/limited`; default {@link RATE_LIMIT}. */
  readonly rateLimit?: number;
}

/** Runs `guard` on one path only; every other request passes it untouched. */
function onPath(path: string, guard: Guard): Guard {
  const scoped: Guard = (request, context) => (request.path === path ? guard(request, context) : CONTINUE);
  return Object.assign(scoped, { guardName: guard.guardName ?? 'scoped' });
}

/** A fresh chain configuration: its own key ring and rate-limit store, so apps never share state. */
export function chainOptions(options: AppOptions = {}): ChainOptions {
  const store = options.rateLimitStore ?? new MemoryRateLimitStore();
  const limit = options.rateLimit ?? RATE_LIMIT;
  return {
    guards: [
      securityHeaders({ preset: 'api' }),
      cors({ origins: [ALLOWED_ORIGIN] }),
      onPath('/limited', rateLimit({ store, policy: gcra(limit, 3600), name: 'limited' })),
      onPath('/limited-xff', rateLimit({ store, policy: gcra(RATE_LIMIT, 3600), name: 'xff' })),
      csrf({
        ring: KeyRing.generate(),
        allowedOrigins: [ALLOWED_ORIGIN],
        exempt: [{ method: 'POST', path: '/webhook', reason: 'authenticated by its HMAC signature' }],
        verifyFormFieldAfterBodyParsing: true,
      }),
      bodyLimits({
        maxBytes: MAX_BODY_BYTES,
        routes: [{ method: 'POST', path: '/form', contentTypes: ['application/x-www-form-urlencoded'] }],
      }),
    ],
    clientAddress: trustedProxies({ cidrs: options.trustLoopbackProxy === true ? ['127.0.0.1/32'] : ['10.0.0.0/8'] }),
  };
}

/** Whether anything reached `Object.prototype` (the servers run in the test's own process). */
export function prototypePolluted(): boolean {
  return Object.hasOwn(Object.prototype, 'polluted') || Object.hasOwn(Object.prototype, 'isAdmin');
}

/** What a handler that throws would leak if errors were not mapped to problems. */
export const SECRET_ERROR = 'SELECT secret_column FROM users WHERE id = 1';

function whoAmI(request: RequestView, csrfToken: string | undefined): { status: number; body: object } {
  const session = request.cookies.get(SESSION_COOKIE);
  if (session === undefined) return { status: 401, body: { error: 'no session' } };
  return { status: 200, body: { session, csrfToken } };
}

/** The session id a login hands out: deterministic, so tests can present it afterwards. */
export function rotatedSession(user: unknown): string {
  return `${typeof user === 'string' ? user : 'anonymous'}-rotated`;
}

/** The `Set-Cookie` of the new session after login. */
function sessionCookie(sid: string): string {
  return serializeCookie('sid', sid);
}

function userOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>).user : undefined;
}

/** Listens on a free port of 127.0.0.1 and resolves with it. */
export function listening(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes the server and its keep-alive connections. */
export function closing(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => {
      if (error) reject(error);
      else resolve();
    });
    server.closeAllConnections();
  });
}

async function startExpress(options: AppOptions): Promise<RunningApp> {
  const { rampart, rampartErrors, rampartForm, rampartJson } = rampartExpress;
  const app = express();
  // `app.disable('x-powered-by')` deliberately left out: the adapter must remove the header on its own.
  app.use(rampart(chainOptions(options)));
  app.get('/public', (_req, res) => res.json({ ok: true }));
  app.get('/me', (_req, res) => {
    const state = res.locals.rampart;
    if (state === undefined) throw new Error('rampart did not run');
    const answer = whoAmI(state.request, state.csrfToken);
    res.status(answer.status).json(answer.body);
  });
  app.post('/orders', rampartJson(), (req, res) => res.json({ received: req.body as unknown, polluted: prototypePolluted() }));
  app.post('/form', rampartForm(), (req, res) => res.json({ received: req.body as unknown, polluted: prototypePolluted() }));
  app.post('/webhook', rampartJson(), (_req, res) => res.json({ ok: true }));
  app.post('/login', rampartJson(), (req, res) => {
    const sid = rotatedSession(userOf(req.body));
    res.append('set-cookie', sessionCookie(sid));
    res.json({ csrfToken: res.locals.rampart?.rotateCsrfToken(sid) });
  });
  app.get('/ip', (_req, res) => res.json({ ip: res.locals.rampart?.clientIp }));
  app.get('/limited', (_req, res) => res.json({ ok: true }));
  app.get('/limited-xff', (_req, res) => res.json({ ok: true }));
  app.get('/boom', () => {
    throw new Error(SECRET_ERROR);
  });
  app.use(rampartErrors());
  const server = createServer(app);
  const port = await listening(server);
  return { adapter: 'express', port, close: () => closing(server) };
}

async function startFastify(options: AppOptions): Promise<RunningApp> {
  const app = Fastify();
  await app.register(rampartFastify.rampart, chainOptions(options));
  app.get('/public', () => ({ ok: true }));
  app.get('/me', (request, reply) => {
    const state = request.rampart;
    if (state === null || state === undefined) throw new Error('rampart did not run');
    const answer = whoAmI(state.request, state.csrfToken);
    return reply.code(answer.status).send(answer.body);
  });
  app.post('/orders', (request) => ({ received: request.body, polluted: prototypePolluted() }));
  app.post('/form', (request) => ({ received: request.body, polluted: prototypePolluted() }));
  app.post('/webhook', () => ({ ok: true }));
  app.post('/login', (request, reply) => {
    const sid = rotatedSession(userOf(request.body));
    reply.header('set-cookie', sessionCookie(sid));
    return { csrfToken: request.rampart?.rotateCsrfToken(sid) };
  });
  app.get('/ip', (request) => ({ ip: request.rampart?.clientIp }));
  app.get('/limited', () => ({ ok: true }));
  app.get('/limited-xff', () => ({ ok: true }));
  app.get('/boom', () => {
    throw new Error(SECRET_ERROR);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  return { adapter: 'fastify', port, close: () => app.close() };
}

async function startHono(options: AppOptions): Promise<RunningApp> {
  const { rampart, rampartForm, rampartJson, rampartOnError } = rampartHono;
  const app = new Hono<rampartHono.RampartEnv>();
  app.use(rampart(chainOptions(options)));
  app.get('/public', (c) => c.json({ ok: true }));
  app.get('/me', (c) => {
    const state = c.get('rampart');
    const answer = whoAmI(state.request, state.csrfToken);
    return c.json(answer.body, answer.status === 200 ? 200 : 401);
  });
  app.post('/orders', rampartJson(), (c) => c.json({ received: c.get('body'), polluted: prototypePolluted() }));
  app.post('/form', rampartForm(), (c) => c.json({ received: c.get('body'), polluted: prototypePolluted() }));
  app.post('/webhook', rampartJson(), (c) => c.json({ ok: true }));
  app.post('/login', rampartJson(), (c) => {
    const sid = rotatedSession(userOf(c.get('body')));
    c.header('set-cookie', sessionCookie(sid), { append: true });
    return c.json({ csrfToken: c.get('rampart').rotateCsrfToken(sid) });
  });
  app.get('/ip', (c) => c.json({ ip: c.get('rampart').clientIp }));
  app.get('/limited', (c) => c.json({ ok: true }));
  app.get('/limited-xff', (c) => c.json({ ok: true }));
  app.get('/boom', () => {
    throw new Error(SECRET_ERROR);
  });
  app.onError(rampartOnError());
  const server = await new Promise<Server>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => {
      resolve(started as Server);
    });
  });
  const port = (server.address() as AddressInfo).port;
  return { adapter: 'hono', port, close: () => closing(server) };
}

/** Starts the conformance application on `adapter`, listening on 127.0.0.1 on a free port. */
export function startApp(adapter: AdapterName, options: AppOptions = {}): Promise<RunningApp> {
  switch (adapter) {
    case 'express':
      return startExpress(options);
    case 'fastify':
      return startFastify(options);
    case 'hono':
      return startHono(options);
  }
}
