/**
 * The orders service: a resource server in the zero-trust example. It trusts no network position — every caller
 * connects with a client certificate from the workload CA (TLS refuses anyone else), and every request carries an
 * access token from the Rampart server that must be (1) signed by it, (2) issued for this service (`aud`, RFC 8707),
 * (3) bound to the certificate of the connection it arrives on (`cnf.x5t#S256`, RFC 8705) — and to a DPoP key when it
 * says so (RFC 9449) — and (4) carry the route's scope. Then core's authorizer decides whether this caller may read this
 * order: a workload reads the orders of its own tenant only.
 */
import type { AddressInfo } from 'node:net';
import type { SecurityEventSink } from '@rampart/core';
import { Authorizer, compilePolicies, type Principal } from '@rampart/core/authz';
import { securityHeaders } from '@rampart/core/http';
import { authorize, createResourceServer, rampart, requireAccessToken, type AccessTokenPrincipal } from '@rampart/fastify';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';

/** The resource indicator of the orders API (RFC 8707): the `aud` its tokens must carry. */
export const ORDERS_RESOURCE = 'https://orders.example/';
/** The scopes the orders API understands (the Rampart server's `oauth.resources` entry lists the same). */
export const ORDERS_SCOPES = ['orders:read', 'orders:write'] as const;

/**
 * Who may call, by OAuth client id: the tenant each workload acts for. The orders service keeps this itself — it is
 * its own decision which workloads it serves, not something a token could claim.
 */
export type CallerDirectory = Readonly<Record<string, { readonly tenant: string }>>;

/** What {@link startOrders} needs. */
export interface OrdersOptions {
  /** The Rampart server's issuer identifier (`https://127.0.0.1:<port>`). */
  readonly issuer: string;
  /** PEM: this service's certificate and key, and the workload CA (for its callers and for the issuer). */
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string };
  readonly callers: CallerDirectory;
  /** Receives the security events (refusals with their exact reason, authorization decisions). */
  readonly events?: SecurityEventSink;
  readonly host?: string;
  readonly port?: number;
}

/** A running orders service. */
export interface OrdersService {
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/** An order as stored: its tenant comes from the row, never from the request. */
interface Order {
  readonly id: string;
  readonly tenant: string;
  readonly total: string;
}

const ORDERS: ReadonlyMap<string, Order> = new Map(
  [
    { id: 'o-1001', tenant: 'acme', total: 'EUR 120.00' },
    { id: 'o-1002', tenant: 'acme', total: 'EUR 64.50' },
    { id: 'o-2001', tenant: 'globex', total: 'USD 980.00' },
  ].map((order) => [order.id, order]),
);

/*
 * Workloads read the orders of their tenant. Roles apply in the principal's tenant only, so an order of another
 * tenant is denied before any rule runs (`no_role_in_tenant`), and the token's scopes narrow what the role allows.
 */
const POLICY = `
apiVersion: rampart.authz/v1
name: orders
version: "2026-01-01"
roles:
  workload:
    permissions: ["order:read"]
scopes:
  "orders:read": ["order:read"]
resources:
  order:
    actions: [read]
`;

/**
 * The caller as the authorizer sees it: the OAuth client, in the tenant the directory gives it. A token whose subject
 * is not the client itself (a user's token, from an authorization-code flow) or a client the directory does not know
 * gets a principal with no role, which no rule allows.
 */
function callerPrincipal(callers: CallerDirectory): (token: AccessTokenPrincipal) => Principal {
  return (token) => {
    const caller = Object.hasOwn(callers, token.clientId) ? callers[token.clientId] : undefined;
    if (caller === undefined || token.subject !== token.clientId) return { id: token.clientId };
    return { id: token.clientId, tenant: caller.tenant, roles: ['workload'] };
  };
}

function loadOrder(request: FastifyRequest): { kind: string; id: string; tenant: string } | undefined {
  const { id } = request.params as { id: string };
  const order = ORDERS.get(id);
  return order === undefined ? undefined : { kind: 'order', id: order.id, tenant: order.tenant };
}

/**
 * Starts the orders service on https (default 127.0.0.1, a free port). TLS requires a client certificate from the
 * workload CA (`rejectUnauthorized: true`): callers outside the PKI never reach the HTTP layer. `GET /orders/:id` then
 * needs a sender-constrained access token for {@link ORDERS_RESOURCE} with `orders:read`, and the authorizer's yes.
 *
 * Protects against: token theft and replay (a token works only with its certificate, and its DPoP key when bound to
 * one; plain bearer tokens are refused), tokens minted for another service, over-broad or missing scopes, and
 * cross-tenant reads by id (OWASP API1: 404, the same answer as a missing order).
 */
export async function startOrders(options: OrdersOptions): Promise<OrdersService> {
  const issuerPort = Number(new URL(options.issuer).port || 443);
  const resourceServer = createResourceServer({
    issuer: options.issuer,
    audience: ORDERS_RESOURCE,
    // Zero trust: a token that is not bound to a certificate or a DPoP key is refused, whoever presents it.
    requireSenderConstrained: true,
    // The issuer's metadata and keys over TLS verified against the workload CA; the issuer is on this machine, which
    // the SSRF policy allows only by name (each loosening is reported as a `config.loosened` event).
    fetch: { ca: options.tls.ca, allowAddresses: ['127.0.0.1/32'], allowPorts: [issuerPort] },
    ...(options.events === undefined ? {} : { events: options.events }),
  });
  const authz = new Authorizer(compilePolicies([{ source: 'orders.yaml', text: POLICY }]));

  const app = Fastify({
    https: { cert: options.tls.cert, key: options.tls.key, ca: options.tls.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    logger: false,
  });
  await app.register(rampart, { guards: [securityHeaders({ preset: 'api' })], ...(options.events === undefined ? {} : { events: options.events }) });
  app.get(
    '/orders/:id',
    {
      onRequest: requireAccessToken(resourceServer, { scopes: ['orders:read'], authzPrincipal: callerPrincipal(options.callers) }),
      preHandler: authorize(authz, 'read', loadOrder),
    },
    (request) => {
      const order = ORDERS.get((request.params as { id: string }).id);
      return { ...order, caller: request.accessToken?.clientId, binding: request.accessToken?.confirmation };
    },
  );

  // Fail closed at start: without the issuer's keys no token can be checked, so the service does not come up.
  const keys = await resourceServer.ready();
  if (!keys.available) {
    await resourceServer.close();
    throw new Error(`orders: the issuer ${options.issuer} did not give its keys`);
  }
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    app,
    async close() {
      await app.close();
      await resourceServer.close();
    },
  };
}
