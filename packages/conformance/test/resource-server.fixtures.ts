/*
 * The resource-server application on every framework, over HTTPS on 127.0.0.1 with client certificates requested
 * (and not chain-verified: RFC 8705 binds the exact certificate): the same resource server, the same routes, the same
 * answers. Tokens come from a real issuer on 127.0.0.1 (discovery + JWKS), shared with core's tests.
 */
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecurityEvent } from '@rampart/core';
import { Authorizer, compilePolicies, type Resource } from '@rampart/core/authz';
import { AUTHZ_DECISION, securityHeaders, type ChainOptions, type RampartState } from '@rampart/core/http';
import { ACCESS_TOKEN, createResourceServer, type AccessTokenPrincipal, type ResourceServer } from '@rampart/core/token';
import * as rampartExpress from '@rampart/express';
import * as rampartFastify from '@rampart/fastify';
import * as rampartHono from '@rampart/hono';
import type { TestPki } from '../../core/src/token/resource-server/certificates.fixtures.js';
import { AUDIENCE, ORDERS_POLICY, type TestIssuer } from '../../core/src/token/resource-server/issuer.fixtures.js';
import type { AdapterName } from './servers.js';

export { AUDIENCE };


export interface ResourceApp {
  readonly adapter: AdapterName;
  readonly port: number;
  /** Requests that reached a handler. */
  readonly handled: { count: number };
  /** Every security event: the resource server's and the chain's. */
  readonly events: SecurityEvent[];
  readonly resourceServer: ResourceServer;
  close(): Promise<void>;
}

interface Handled {
  count: number;
}

const order = (id: string | undefined): Resource | undefined => (id === 'o-1' ? { kind: 'order', id } : undefined);
const clerkRoles = (token: AccessTokenPrincipal) => ({ id: token.subject, roles: token.subject.startsWith('clerk-') ? ['clerk'] : [] });

/** What a protected handler answers: who it sees, through the framework's own variable and through the chain's. */
function seen(principal: AccessTokenPrincipal | undefined, state: RampartState | null | undefined): object {
  return {
    subject: principal?.subject,
    confirmation: principal?.confirmation,
    scopes: principal?.scopes,
    fromChain: state?.get(ACCESS_TOKEN)?.subject,
  };
}

function chainOptions(events: SecurityEvent[]): ChainOptions {
  return { guards: [securityHeaders({ preset: 'api' })], events: (event) => events.push(event) };
}

/** Closes an HTTPS server and its keep-alive connections. */
function closingTls(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => {
      if (error) reject(error);
      else resolve();
    });
    server.closeAllConnections();
  });
}

const TLS = (pki: TestPki) => ({ cert: pki.server.certPem, key: pki.server.keyPem, requestCert: true, rejectUnauthorized: false });

async function startExpress(rs: ResourceServer, pki: TestPki, events: SecurityEvent[], handled: Handled): Promise<{ port: number; close: () => Promise<void> }> {
  const { authorize, rampart, rampartErrors, requireAccessToken } = rampartExpress;
  const authz = new Authorizer(compilePolicies([{ source: 'orders.yaml', text: ORDERS_POLICY }]));
  const app = express();
  app.use(rampart(chainOptions(events)));
  app.get('/orders', requireAccessToken(rs, { scopes: ['orders:read'] }), (_req, res) => {
    handled.count += 1;
    res.json(seen(res.locals.accessToken, res.locals.rampart));
  });
  app.post(
    '/orders/:id/refund',
    requireAccessToken(rs, { authzPrincipal: clerkRoles }),
    authorize(authz, 'refund', (req) => order(typeof req.params.id === 'string' ? req.params.id : undefined)),
    (_req, res) => {
      handled.count += 1;
      res.json({ refunded: true, rule: res.locals.rampart?.get(AUTHZ_DECISION)?.rule });
    },
  );
  app.use(rampartErrors());
  const server = createHttpsServer(TLS(pki), app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => closingTls(server) };
}

async function startFastify(rs: ResourceServer, pki: TestPki, events: SecurityEvent[], handled: Handled): Promise<{ port: number; close: () => Promise<void> }> {
  const { authorize, rampart, requireAccessToken } = rampartFastify;
  const authz = new Authorizer(compilePolicies([{ source: 'orders.yaml', text: ORDERS_POLICY }]));
  const app = Fastify({ https: TLS(pki) });
  await app.register(rampart, chainOptions(events));
  app.get('/orders', { onRequest: requireAccessToken(rs, { scopes: ['orders:read'] }) }, (request) => {
    handled.count += 1;
    return seen(request.accessToken, request.rampart);
  });
  app.post(
    '/orders/:id/refund',
    {
      onRequest: requireAccessToken(rs, { authzPrincipal: clerkRoles }),
      preHandler: authorize(authz, 'refund', (request) => order((request.params as { id?: string }).id)),
    },
    (request) => {
      handled.count += 1;
      return { refunded: true, rule: request.rampart?.get(AUTHZ_DECISION)?.rule };
    },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
}

async function startHono(rs: ResourceServer, pki: TestPki, events: SecurityEvent[], handled: Handled): Promise<{ port: number; close: () => Promise<void> }> {
  const { authorize, rampart, rampartOnError, requireAccessToken } = rampartHono;
  const authz = new Authorizer(compilePolicies([{ source: 'orders.yaml', text: ORDERS_POLICY }]));
  const app = new Hono<rampartHono.RampartEnv>();
  app.use(rampart(chainOptions(events)));
  app.get('/orders', requireAccessToken(rs, { scopes: ['orders:read'] }), (c) => {
    handled.count += 1;
    return c.json(seen(c.get('accessToken'), c.get('rampart')));
  });
  app.post(
    '/orders/:id/refund',
    requireAccessToken(rs, { authzPrincipal: clerkRoles }),
    authorize(authz, 'refund', (c) => order(c.req.param('id'))),
    (c) => {
      handled.count += 1;
      return c.json({ refunded: true, rule: c.get('rampart').get(AUTHZ_DECISION)?.rule });
    },
  );
  app.onError(rampartOnError());
  const server = await new Promise<Server>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1', createServer: createHttpsServer, serverOptions: TLS(pki) }, () => {
      resolve(started as Server);
    });
  });
  return { port: (server.address() as AddressInfo).port, close: () => closingTls(server) };
}

/** Starts the resource-server application on `adapter` over HTTPS, with its own resource server (and replay cache). */
export async function startResourceApp(adapter: AdapterName, issuer: TestIssuer, pki: TestPki): Promise<ResourceApp> {
  const events: SecurityEvent[] = [];
  const handled: Handled = { count: 0 };
  const resourceServer = createResourceServer({
    issuer: issuer.url,
    audience: AUDIENCE,
    allowInsecureIssuer: true,
    fetch: { allowAddresses: ['127.0.0.1/32'], allowPorts: [issuer.port] },
    events: (event) => events.push(event),
  });
  await resourceServer.ready();
  const start = adapter === 'express' ? startExpress : adapter === 'fastify' ? startFastify : startHono;
  const running = await start(resourceServer, pki, events, handled);
  return {
    adapter,
    port: running.port,
    handled,
    events,
    resourceServer,
    close: async () => {
      await running.close();
      await resourceServer.close();
    },
  };
}
