/*
 * The authorization application on every framework: one policy, one in-memory document and profile store per app,
 * an authentication guard that sets the chain's principal, and the same routes guarded by `authorize(...)`.
 */
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify, { type FastifyRequest } from 'fastify';
import { Hono, type Context } from 'hono';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Authorizer, compilePolicies, type Principal, type Resource } from '@rampart/core/authz';
import type { SecurityEvent } from '@rampart/core';
import {
  AUTHZ_AUTHENTICATION,
  AUTHZ_DECISION,
  AUTHZ_PRINCIPAL,
  CONTINUE,
  securityHeaders,
  type ChainOptions,
  type Guard,
  type RampartState,
} from '@rampart/core/http';
import * as rampartExpress from '@rampart/express';
import * as rampartFastify from '@rampart/fastify';
import * as rampartHono from '@rampart/hono';
import { closing, listening, type AdapterName } from './servers.js';

export const POLICY_VERSION = '2026-02-01.1';

/*
 * Members see their own documents and profiles only (ownership is a derived role); editors read and update every
 * document of their tenant; admins do everything there, `purge` included. A profile's `role` is writable by admins only.
 */
const POLICY = `
apiVersion: rampart.authz/v1
name: documents
version: "${POLICY_VERSION}"
roles:
  member: {}
  editor:
    inherits: [member]
    permissions: ["document:read", "document:update"]
  admin:
    inherits: [editor]
    permissions: ["document:*", "profile:*"]
derivedRoles:
  owner:
    parentRoles: [member]
    condition: resource.owner == principal.id
  self:
    parentRoles: [member]
    condition: resource.id == principal.id
resources:
  document:
    actions: [read, update, purge]
    fields: [title]
    rules:
      - name: owner-reads-and-edits
        effect: allow
        roles: [owner]
        actions: [read, update]
  profile:
    actions: [read, update]
    fields: [name, role]
    rules:
      - name: self-reads
        effect: allow
        roles: [self]
        actions: [read]
      - name: self-renames
        effect: allow
        roles: [self]
        actions: [update]
        fields: [name]
`;

export function fixtureAuthorizer(): Authorizer {
  return new Authorizer(compilePolicies([{ source: 'documents.yaml', text: POLICY }]));
}

/** The users; the bearer token is the user's name (a test stand-in for a verified JWT). */
export const USERS: ReadonlyMap<string, Principal> = new Map<string, Principal>([
  ['alice', { id: 'alice', tenant: 'acme', roles: ['member'] }],
  ['bob', { id: 'bob', tenant: 'acme', roles: ['member'] }],
  ['erin', { id: 'erin', tenant: 'acme', roles: ['editor'] }],
  ['root', { id: 'root', tenant: 'acme', roles: ['admin'] }],
  ['mallory', { id: 'mallory', tenant: 'globex', roles: ['admin'] }],
]);

interface StoredDocument {
  readonly owner: string;
  readonly tenant: string;
  title: string;
}

interface StoredProfile {
  readonly tenant: string;
  name: string;
  role: string;
}

/** One app's data: fresh per app, so a refused write that got through would show. */
export class Store {
  readonly documents = new Map<string, StoredDocument>([
    ['doc-alice', { owner: 'alice', tenant: 'acme', title: 'alice plans' }],
    ['doc-bob', { owner: 'bob', tenant: 'acme', title: 'bob plans' }],
  ]);
  readonly profiles = new Map<string, StoredProfile>([
    ['alice', { tenant: 'acme', name: 'Alice', role: 'member' }],
    ['bob', { tenant: 'acme', name: 'Bob', role: 'member' }],
  ]);
  /** Requests that reached a handler behind `authorize`. */
  handled = 0;

  /** Owner and tenant come from the stored row, never from the request. */
  document(id: string | undefined): Resource | undefined {
    const row = id === undefined ? undefined : this.documents.get(id);
    return row === undefined || id === undefined ? undefined : { kind: 'document', id, owner: row.owner, tenant: row.tenant };
  }

  profile(id: string | undefined): Resource | undefined {
    const row = id === undefined ? undefined : this.profiles.get(id);
    return row === undefined || id === undefined ? undefined : { kind: 'profile', id, owner: id, tenant: row.tenant };
  }
}

/** Text a throwing loader carries; it must never reach the client. */
export const LOADER_SECRET = 'SELECT owner FROM documents -- connection refused by 10.0.0.7';

/** The authentication guard: `Authorization: Bearer <user>` sets the principal (and, with `x-scopes`, token scopes). */
const authenticate: Guard = Object.assign(
  (request: Parameters<Guard>[0], context: Parameters<Guard>[1]) => {
    const header = request.header('authorization');
    const user = header?.startsWith('Bearer ') === true ? USERS.get(header.slice(7)) : undefined;
    if (user !== undefined) {
      context.set(AUTHZ_PRINCIPAL, user);
      const scopes = request.header('x-scopes');
      if (scopes !== undefined) context.set(AUTHZ_AUTHENTICATION, { scopes: scopes.split(' ') });
    }
    return CONTINUE;
  },
  { guardName: 'authenticate' },
);

function chainOptions(events: SecurityEvent[]): ChainOptions {
  return { guards: [securityHeaders({ preset: 'api' }), authenticate], events: (event) => events.push(event) };
}

export interface AuthzApp {
  readonly adapter: AdapterName;
  readonly port: number;
  readonly store: Store;
  readonly events: SecurityEvent[];
  close(): Promise<void>;
}

function bodyKeys(body: unknown): readonly string[] {
  return typeof body === 'object' && body !== null ? Object.keys(body) : [];
}

function stringField(body: unknown, name: string): string | undefined {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** What a handler answers: proof it ran, and the decision the guard handed it. */
function allowedBody(state: RampartState | null | undefined, extra: object): object {
  const decision = state?.get(AUTHZ_DECISION);
  return { ...extra, rule: decision?.rule, policyVersion: decision?.policyVersion };
}

function throwingLoader(): never {
  throw new Error(LOADER_SECRET);
}

async function startExpress(store: Store, events: SecurityEvent[]): Promise<AuthzApp> {
  const { authorize, rampart, rampartErrors, rampartJson } = rampartExpress;
  const authz = fixtureAuthorizer();
  const app = express();
  app.use(rampart(chainOptions(events)));
  type Req = express.Request;
  const idOf = (req: Req): string => {
    const id = req.params.id;
    return typeof id === 'string' ? id : '';
  };
  const doc = (req: Req) => store.document(idOf(req));
  const profile = (req: Req) => store.profile(idOf(req));
  app.get('/documents/:id', authorize(authz, 'read', doc), (req, res) => {
    store.handled += 1;
    res.json(allowedBody(res.locals.rampart, { title: store.documents.get(idOf(req))?.title }));
  });
  app.get('/revealed/:id', authorize(() => authz, 'read', doc, { revealExistence: true }), (_req, res) => {
    store.handled += 1;
    res.json({ ok: true });
  });
  app.patch('/documents/:id', rampartJson(), authorize(authz, 'update', doc, { fields: (req) => bodyKeys(req.body) }), (req, res) => {
    store.handled += 1;
    const row = store.documents.get(idOf(req));
    if (row !== undefined) row.title = stringField(req.body, 'title') ?? row.title;
    res.json(allowedBody(res.locals.rampart, { title: row?.title }));
  });
  app.post('/documents/:id/purge', authorize(authz, 'purge', doc), (req, res) => {
    store.handled += 1;
    store.documents.delete(idOf(req));
    res.json(allowedBody(res.locals.rampart, { purged: true }));
  });
  app.patch('/profiles/:id', rampartJson(), authorize(authz, 'update', profile, { fields: (req) => bodyKeys(req.body) }), (req, res) => {
    store.handled += 1;
    const row = store.profiles.get(idOf(req));
    if (row !== undefined) {
      row.name = stringField(req.body, 'name') ?? row.name;
      row.role = stringField(req.body, 'role') ?? row.role;
    }
    res.json(allowedBody(res.locals.rampart, { ...row }));
  });
  app.get('/broken/:id', authorize(authz, 'read', throwingLoader), (_req, res) => {
    store.handled += 1;
    res.json({ ok: true });
  });
  app.use(rampartErrors());
  const server = createServer(app);
  const port = await listening(server);
  return { adapter: 'express', port, store, events, close: () => closing(server) };
}

async function startFastify(store: Store, events: SecurityEvent[]): Promise<AuthzApp> {
  const { authorize, rampart } = rampartFastify;
  const authz = fixtureAuthorizer();
  const app = Fastify();
  await app.register(rampart, chainOptions(events));
  const idOf = (request: FastifyRequest): string | undefined => (request.params as { id?: string }).id;
  const doc = (request: FastifyRequest) => store.document(idOf(request));
  const profile = (request: FastifyRequest) => store.profile(idOf(request));
  const fields = { fields: (request: FastifyRequest) => bodyKeys(request.body) };
  app.get('/documents/:id', { preHandler: authorize(authz, 'read', doc) }, (request) => {
    store.handled += 1;
    return allowedBody(request.rampart, { title: store.documents.get(idOf(request) ?? '')?.title });
  });
  app.get('/revealed/:id', { preHandler: authorize(() => authz, 'read', doc, { revealExistence: true }) }, () => {
    store.handled += 1;
    return { ok: true };
  });
  app.patch('/documents/:id', { preHandler: authorize(authz, 'update', doc, fields) }, (request) => {
    store.handled += 1;
    const row = store.documents.get(idOf(request) ?? '');
    if (row !== undefined) row.title = stringField(request.body, 'title') ?? row.title;
    return allowedBody(request.rampart, { title: row?.title });
  });
  app.post('/documents/:id/purge', { preHandler: authorize(authz, 'purge', doc) }, (request) => {
    store.handled += 1;
    store.documents.delete(idOf(request) ?? '');
    return allowedBody(request.rampart, { purged: true });
  });
  app.patch('/profiles/:id', { preHandler: authorize(authz, 'update', profile, fields) }, (request) => {
    store.handled += 1;
    const row = store.profiles.get(idOf(request) ?? '');
    if (row !== undefined) {
      row.name = stringField(request.body, 'name') ?? row.name;
      row.role = stringField(request.body, 'role') ?? row.role;
    }
    return allowedBody(request.rampart, { ...row });
  });
  app.get('/broken/:id', { preHandler: authorize(authz, 'read', throwingLoader) }, () => {
    store.handled += 1;
    return { ok: true };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  return { adapter: 'fastify', port, store, events, close: () => app.close() };
}

async function startHono(store: Store, events: SecurityEvent[]): Promise<AuthzApp> {
  const { authorize, rampart, rampartJson, rampartOnError } = rampartHono;
  const authz = fixtureAuthorizer();
  const app = new Hono<rampartHono.RampartEnv>();
  app.use(rampart(chainOptions(events)));
  type C = Context<rampartHono.RampartEnv>;
  const doc = (c: C) => store.document(c.req.param('id'));
  const profile = (c: C) => store.profile(c.req.param('id'));
  const fields = { fields: (c: C) => bodyKeys(c.get('body')) };
  app.get('/documents/:id', authorize(authz, 'read', doc), (c) => {
    store.handled += 1;
    return c.json(allowedBody(c.get('rampart'), { title: store.documents.get(c.req.param('id'))?.title }));
  });
  app.get('/revealed/:id', authorize(() => authz, 'read', doc, { revealExistence: true }), (c) => {
    store.handled += 1;
    return c.json({ ok: true });
  });
  app.patch('/documents/:id', rampartJson(), authorize(authz, 'update', doc, fields), (c) => {
    store.handled += 1;
    const row = store.documents.get(c.req.param('id'));
    if (row !== undefined) row.title = stringField(c.get('body'), 'title') ?? row.title;
    return c.json(allowedBody(c.get('rampart'), { title: row?.title }));
  });
  app.post('/documents/:id/purge', authorize(authz, 'purge', doc), (c) => {
    store.handled += 1;
    store.documents.delete(c.req.param('id'));
    return c.json(allowedBody(c.get('rampart'), { purged: true }));
  });
  app.patch('/profiles/:id', rampartJson(), authorize(authz, 'update', profile, fields), (c) => {
    store.handled += 1;
    const row = store.profiles.get(c.req.param('id'));
    if (row !== undefined) {
      row.name = stringField(c.get('body'), 'name') ?? row.name;
      row.role = stringField(c.get('body'), 'role') ?? row.role;
    }
    return c.json(allowedBody(c.get('rampart'), { ...row }));
  });
  app.get('/broken/:id', authorize(authz, 'read', throwingLoader), (c) => {
    store.handled += 1;
    return c.json({ ok: true });
  });
  app.onError(rampartOnError());
  const server = await new Promise<Server>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => {
      resolve(started as Server);
    });
  });
  const port = (server.address() as AddressInfo).port;
  return { adapter: 'hono', port, store, events, close: () => closing(server) };
}

/** Starts the authorization application on `adapter`, on 127.0.0.1 and a free port, with its own store and events. */
export function startAuthzApp(adapter: AdapterName): Promise<AuthzApp> {
  const store = new Store();
  const events: SecurityEvent[] = [];
  switch (adapter) {
    case 'express':
      return startExpress(store, events);
    case 'fastify':
      return startFastify(store, events);
    case 'hono':
      return startHono(store, events);
  }
}
