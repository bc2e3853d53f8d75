import { PROBLEM_CONTENT_TYPE } from '@rampart/core/http';
import { validationProblem, validationProblemBody, type Static } from '@rampart/core/validate';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RequireAdmin } from '../authz/index.js';
import { clientIp, correlationId, sendJson, sendProblem, validated } from '../authz/http.js';
import { OAUTH_CLIENT_INPUT_SCHEMA, OAUTH_CLIENT_UPDATE_SCHEMA, OAuthClientError, type OAuthClient, type OAuthClientInput, type OAuthClientStore, type OAuthClientUpdate } from '../oauth/clients.js';
import { oauthClientEventFacts, oauthClientView } from '../oauth/clients-view.js';
import { documented, responses, type RouteDoc } from '../openapi/schemas.js';
import { ClientPage, ClientParams, ClientsQuery, ClientView, IssuedClient, RotateBody, RotatedSecret } from './client-schemas.js';
import type { AdminEvents } from './events.js';
import { CLIENT_CONFLICT, CLIENT_EXISTS, CLIENT_NO_SECRET, CLIENT_NOT_FOUND, CLIENT_PRECONDITION_INVALID, CLIENT_PRECONDITION_REQUIRED, clientInvalid } from './problems.js';

/** What the client administration routes are built from. */
export interface ClientRouteDeps {
  readonly clients: OAuthClientStore;
  readonly requireAdmin: RequireAdmin;
  readonly events: AdminEvents;
}

/** Where the clients are administered. */
export const CLIENTS_PATH = '/v1/admin/oauth/clients';
const ONE_CLIENT = `${CLIENTS_PATH}/:clientId`;
const DEFAULT_PAGE = 25;
const TAGS = ['admin'] as const;
const AUTH = ['session', 'bearer'] as const;

/** The facts every administrator event carries: who, from where, under which request. */
function actor(request: FastifyRequest, adminId: string): Record<string, string> {
  return { by: adminId, route: request.routeOptions.url ?? '', clientIp: clientIp(request), correlationId: correlationId(request) };
}

/** A strong entity tag of the client's version (RFC 9110 §8.8.3). */
const entityTag = (client: OAuthClient): string => `"${client.version}"`;

/**
 * The version `If-Match` names: `undefined` when absent, `null` when it is not exactly one strong tag — `*` (any
 * version: no protection), a list or a weak tag say nothing about which version the change was decided on.
 */
function ifMatch(request: FastifyRequest): string | undefined | null {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const match = /^\s*"([A-Za-z0-9_-]{22})"\s*$/.exec(header);
  return match?.[1] ?? null;
}

/** Route options: documented in `/openapi.json`; params and query validated by the route schema (before the role). */
function route(doc: RouteDoc, validatedByRoute: { readonly params?: unknown; readonly querystring?: unknown } = {}): { schema: Record<string, unknown> } {
  const { schema } = documented(doc);
  return { schema: { ...schema, ...validatedByRoute } };
}

/** The store's refusal as the problem that says what to do next; anything else is a server fault. */
async function refusal(request: FastifyRequest, reply: FastifyReply, error: unknown, clients: OAuthClientStore, clientId?: string): Promise<FastifyReply> {
  if (!(error instanceof OAuthClientError)) throw error;
  switch (error.code) {
    case 'OAUTH_CLIENT_INVALID':
      if (error.issues !== undefined) {
        // The input did not match the schema at all: the server's validation problem, pointers and rules only.
        return reply
          .code(400)
          .header('content-type', PROBLEM_CONTENT_TYPE)
          .header('cache-control', 'no-store')
          .send(JSON.stringify(validationProblemBody(validationProblem(error.issues), correlationId(request))));
      }
      return sendProblem(request, reply, clientInvalid(error.message));
    case 'OAUTH_CLIENT_UNKNOWN':
      return sendProblem(request, reply, CLIENT_NOT_FOUND);
    case 'OAUTH_CLIENT_EXISTS':
      return sendProblem(request, reply, CLIENT_EXISTS);
    case 'OAUTH_CLIENT_NO_SECRET':
      return sendProblem(request, reply, CLIENT_NO_SECRET);
    case 'OAUTH_CLIENT_CONFLICT': {
      const current = clientId === undefined ? undefined : await clients.get(clientId);
      if (current !== undefined) void reply.header('etag', entityTag(current));
      return sendProblem(request, reply, CLIENT_CONFLICT);
    }
  }
}

/** Which settings a change named, and their new values, for the event (lists space-separated; keys by count). */
function changedFacts(patch: OAuthClientUpdate, client: OAuthClient): Record<string, string | number | boolean> {
  const facts = oauthClientEventFacts(client);
  const changed = Object.keys(patch).sort();
  const named: Record<string, string | number | boolean> = { clientId: client.clientId, changed: changed.join(' '), version: client.version };
  for (const field of changed) {
    if (field === 'jwks' || field === 'certificates') {
      named.publicKeys = facts.publicKeys ?? 0;
      named.certificateThumbprints = facts.certificateThumbprints ?? '';
    } else if (field === 'name') {
      named.name = client.name ?? '';
    } else {
      const value = facts[field];
      if (value !== undefined) named[field] = value;
    }
  }
  return named;
}

/**
 * The OAuth client administration routes under `/v1/admin/oauth/clients`: register a confidential or public client
 * (its secret in the answer, once), list and show clients (never a secret), change one (`If-Match` required), rotate
 * its secret (the old one stops at once; optionally every token issued with it is revoked), delete it (and every
 * code, token and grant issued to it). Every route needs the global `admin` role; every change a step-up within 10
 * minutes; every call is an event (`oauth.client.*` for changes, with the administrator as subject), none carries a secret.
 *
 * Protects against: broken function-level authorization (OWASP API5: `403 authz.admin_required`); a stolen
 * administrator session registering a client that receives users' codes (step-up); clients that weaken the profile —
 * redirect URIs with fragments, wildcards, user information or plain http outside loopback, removed grants, public
 * clients with client credentials, confidential clients without authentication, private keys posing as public ones
 * (the store's rules, refused with the rule named and nothing stored); secrets leaking after their one showing (views
 * and events have none, `no-store` on every answer); two administrators overwriting each other (`If-Match` with the
 * client's version: `428` without, `412` when it moved, and the write itself is conditional); mass assignment (closed
 * schemas: a `clientSecret`, `hasSecret` or `type` in a change is a 400).
 */
export function registerClientRoutes(app: FastifyInstance, deps: ClientRouteDeps): void {
  const { clients, requireAdmin, events } = deps;

  app.post(
    CLIENTS_PATH,
    route({
      tags: TAGS,
      summary: 'Register an OAuth client: confidential or public; the secret is in this answer only (step-up)',
      security: AUTH,
      body: OAUTH_CLIENT_INPUT_SCHEMA,
      responses: responses({ 201: IssuedClient }, 400, 401, 403, 409),
    }),
    async (request, reply) => {
      const admin = await requireAdmin(request, 'write');
      let issued: Awaited<ReturnType<OAuthClientStore['create']>>;
      try {
        // rampart-ignore-next-line mass-assignment: OAuthClientStore.create checks the body against an allowlist schema (unknown fields refused) and owns every stored column
        issued = await clients.create(request.body as OAuthClientInput);
      } catch (error) {
        return refusal(request, reply, error, clients);
      }
      const { client, clientSecret } = issued;
      events('oauth.client.created', admin.userId, { ...actor(request, admin.userId), ...oauthClientEventFacts(client) });
      void reply.header('etag', entityTag(client)).header('location', `${CLIENTS_PATH}/${encodeURIComponent(client.clientId)}`);
      return sendJson(reply, 201, { client: oauthClientView(client), ...(clientSecret === undefined ? {} : { clientSecret }) });
    },
  );

  app.get(
    CLIENTS_PATH,
    route({ tags: TAGS, summary: 'List OAuth clients (ordered by id; never a secret)', security: AUTH, responses: responses({ 200: ClientPage }, 400, 401, 403) }, { querystring: ClientsQuery }),
    async (request, reply) => {
      const admin = await requireAdmin(request, 'read');
      const query = request.query as Static<typeof ClientsQuery>;
      const limit = query.limit === undefined ? DEFAULT_PAGE : Number(query.limit);
      // One more than asked: whether there is a next page, without a count query.
      const listed = await clients.list({ limit: limit + 1, ...(query.cursor === undefined ? {} : { after: query.cursor }) });
      const page = listed.slice(0, limit);
      events('admin.accessed', admin.userId, { ...actor(request, admin.userId), what: 'oauth_clients', count: page.length });
      return sendJson(reply, 200, { clients: page.map(oauthClientView), next: listed.length > limit ? (page.at(-1)?.clientId ?? null) : null });
    },
  );

  app.get(
    ONE_CLIENT,
    route({ tags: TAGS, summary: 'One OAuth client, with its ETag (never its secret)', security: AUTH, responses: responses({ 200: ClientView }, 400, 401, 403, 404) }, { params: ClientParams }),
    async (request, reply) => {
      const admin = await requireAdmin(request, 'read');
      const { clientId } = request.params as Static<typeof ClientParams>;
      const client = await clients.get(clientId);
      if (client === undefined) return sendProblem(request, reply, CLIENT_NOT_FOUND);
      events('admin.accessed', admin.userId, { ...actor(request, admin.userId), what: 'oauth_client', target: clientId });
      void reply.header('etag', entityTag(client));
      return sendJson(reply, 200, oauthClientView(client));
    },
  );

  app.patch(
    ONE_CLIENT,
    route(
      {
        tags: TAGS,
        summary: 'Change an OAuth client: name, redirect URIs, grants, scopes, keys, bindings, first party (step-up, If-Match required)',
        description: 'The type and the authentication method are fixed at creation. The whole result is checked as at creation; nothing is stored when it is refused.',
        security: AUTH,
        body: OAUTH_CLIENT_UPDATE_SCHEMA,
        responses: responses({ 200: ClientView }, 400, 401, 403, 404, 412),
      },
      { params: ClientParams },
    ),
    async (request, reply) => {
      const admin = await requireAdmin(request, 'write');
      const { clientId } = request.params as Static<typeof ClientParams>;
      const expected = ifMatch(request);
      if (expected === undefined) return sendProblem(request, reply, CLIENT_PRECONDITION_REQUIRED);
      if (expected === null) return sendProblem(request, reply, CLIENT_PRECONDITION_INVALID);
      const patch = request.body as OAuthClientUpdate;
      let client: OAuthClient;
      try {
        // rampart-ignore-next-line mass-assignment: OAuthClientStore.update checks the patch against an allowlist schema (unknown fields refused), under If-Match
        client = await clients.update(clientId, patch, { ifVersion: expected });
      } catch (error) {
        return refusal(request, reply, error, clients, clientId);
      }
      events('oauth.client.updated', admin.userId, { ...actor(request, admin.userId), ...changedFacts(patch, client) });
      void reply.header('etag', entityTag(client));
      return sendJson(reply, 200, oauthClientView(client));
    },
  );

  app.post(
    `${ONE_CLIENT}/secret`,
    route(
      {
        tags: TAGS,
        summary: 'Rotate an OAuth client’s secret: the new one is in this answer only, the old one stops at once (step-up)',
        description: 'With `revokeIssued`, every code, token and grant issued to the client is revoked too (a leaked secret). `If-Match` is honoured when sent.',
        security: AUTH,
        body: RotateBody,
        responses: responses({ 200: RotatedSecret }, 400, 401, 403, 404, 409, 412),
      },
      { params: ClientParams },
    ),
    async (request, reply) => {
      const admin = await requireAdmin(request, 'write');
      const { clientId } = request.params as Static<typeof ClientParams>;
      const body = validated(RotateBody, request.body ?? {}, request, reply);
      if (body === undefined) return reply;
      const expected = ifMatch(request);
      if (expected === null) return sendProblem(request, reply, CLIENT_PRECONDITION_INVALID);
      let rotated: Awaited<ReturnType<OAuthClientStore['rotateSecret']>>;
      try {
        rotated = await clients.rotateSecret(clientId, expected === undefined ? {} : { ifVersion: expected });
      } catch (error) {
        return refusal(request, reply, error, clients, clientId);
      }
      const revokedArtifacts = body.revokeIssued === true ? await clients.revokeIssued(clientId) : 0;
      events('oauth.client.secret_rotated', admin.userId, {
        ...actor(request, admin.userId),
        clientId,
        revokeIssued: body.revokeIssued === true,
        revokedArtifacts,
        version: rotated.client.version,
      });
      void reply.header('etag', entityTag(rotated.client));
      return sendJson(reply, 200, { client: oauthClientView(rotated.client), clientSecret: rotated.clientSecret, revokedArtifacts });
    },
  );

  app.delete(
    ONE_CLIENT,
    route(
      {
        tags: TAGS,
        summary: 'Delete an OAuth client and every code, token and grant issued to it (step-up)',
        security: AUTH,
        responses: responses({ 204: { type: 'null', description: 'Deleted' } }, 400, 401, 403, 404),
      },
      { params: ClientParams },
    ),
    async (request, reply) => {
      const admin = await requireAdmin(request, 'write');
      const { clientId } = request.params as Static<typeof ClientParams>;
      const client = await clients.get(clientId);
      if (client === undefined || !(await clients.delete(clientId))) return sendProblem(request, reply, CLIENT_NOT_FOUND);
      events('oauth.client.deleted', admin.userId, { ...actor(request, admin.userId), clientId, clientType: client.type, authMethod: client.tokenEndpointAuthMethod });
      return reply.code(204).header('cache-control', 'no-store').send();
    },
  );
}
