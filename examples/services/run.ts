/**
 * `npx tsx examples/services/run.ts`: the zero-trust services example end to end on 127.0.0.1. It makes a workload
 * PKI, starts a Rampart server that terminates TLS itself (SQLite in a temporary directory), registers the two
 * workloads as OAuth clients that authenticate with their certificates, starts the orders service, and has billing
 * call it — then plays the attacks a zero-trust design must stop and shows each one refused, with the reason the
 * orders service recorded (the caller only ever learns the OAuth error class).
 */
import { createServer as createNetServer } from 'node:net';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SecurityEvent } from '@rampart/core';
import { createServer, ensureDataDir, loadConfig, type RampartServer } from '@rampart/server';
import { createBilling, type Billing, type CallResult } from './billing.js';
import { makeCertificates, WORKLOAD_SUBJECTS, type ServiceCertificates } from './make-certs.js';
import { mtlsFetch } from './mtls-fetch.js';
import { ORDERS_RESOURCE, ORDERS_SCOPES, startOrders, type OrdersService } from './orders.js';

/** Another API the Rampart server issues tokens for: a token for it must not open the orders service. */
export const INVENTORY_RESOURCE = 'https://inventory.example/';

/** Everything the example started, for the demonstration and the tests. */
export interface Services {
  readonly certificates: ServiceCertificates;
  readonly rampart: RampartServer;
  /** The Rampart server's issuer identifier (`https://127.0.0.1:<port>`). */
  readonly issuer: string;
  readonly orders: OrdersService;
  readonly billing: Billing;
  /** The OAuth client ids of the two workloads. */
  readonly clients: { readonly billing: string; readonly billingDpop: string; readonly analytics: string };
  /** A client authenticating with a secret and receiving plain bearer tokens (the kind zero trust refuses). */
  readonly bearerClient: { readonly clientId: string; readonly secret: string };
  /** What the orders service reported (refusals with their reason, authorization decisions), in order. */
  readonly ordersEvents: SecurityEvent[];
  /** What the Rampart server reported (tokens issued with their binding, failed client authentications). */
  readonly rampartEvents: SecurityEvent[];
  /** The last request billing sent to the orders service, as a network tap would have captured it. */
  lastSentToOrders(): Headers | undefined;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => {
        resolvePort(port);
      });
    });
  });
}

/**
 * Starts the example: certificates, the Rampart server with TLS on (its public URL, and so the issuer, is
 * `https://127.0.0.1:<port>`), the workloads registered through `server.modules.oauth.clients`, the orders service and
 * billing's client. `close()` stops everything and deletes the temporary directory.
 */
export async function startServices(): Promise<Services> {
  const certificates = await makeCertificates();
  const dir = certificates.dir;
  const cleanup: (() => Promise<void> | void)[] = [() => { rmSync(dir, { recursive: true, force: true }); }];
  const close = async (): Promise<void> => {
    for (const step of cleanup.reverse()) await step();
  };
  try {
    // The Rampart server: the two APIs it issues tokens for, TLS with the workload CA as the client CA.
    const configFile = join(dir, 'rampart.config.yaml');
    writeFileSync(
      configFile,
      ['oauth:', '  resources:', `    - indicator: ${ORDERS_RESOURCE}`, `      scopes: [${ORDERS_SCOPES.join(', ')}]`, `    - indicator: ${INVENTORY_RESOURCE}`, '      scopes: [inventory:read]', ''].join('\n'),
    );
    const dataDir = join(dir, 'rampart');
    mkdirSync(dataDir, { mode: 0o700 });
    ensureDataDir(dataDir);
    const port = await freePort();
    const issuer = `https://127.0.0.1:${port}`;
    const config = loadConfig({
      cwd: dir,
      env: {
        RAMPART_CONFIG: configFile,
        RAMPART_DATA_DIR: dataDir,
        RAMPART_HOST: '127.0.0.1',
        RAMPART_PORT: String(port),
        RAMPART_PUBLIC_URL: issuer,
        RAMPART_TLS_CERT_FILE: certificates.server.certFile,
        RAMPART_TLS_KEY_FILE: certificates.server.keyFile,
        RAMPART_TLS_CLIENT_CA_FILE: certificates.caFile,
        RAMPART_LOG_LEVEL: 'error',
      },
    });
    const rampartEvents: SecurityEvent[] = [];
    const rampart = await createServer(config, { observeEvents: (event) => rampartEvents.push(event) });
    cleanup.push(() => rampart.close());
    await rampart.listen();

    // Each workload authenticates with its certificate: the server checks the chain against the workload CA and the
    // subject against the registered DN; no secret is ever issued. Tokens are bound to the certificate presented.
    const register = async (clientId: string, subject: string, scopes: string[], binding: 'certificate' | 'dpop' = 'certificate'): Promise<string> => {
      const { client } = await rampart.modules.oauth.clients.create({
        type: 'confidential',
        clientId,
        name: clientId,
        grantTypes: ['client_credentials'],
        scopes,
        tokenEndpointAuthMethod: 'tls_client_auth',
        tlsClientAuthSubjectDn: subject,
        ...(binding === 'certificate' ? { certificateBoundAccessTokens: true } : { dpopBoundAccessTokens: true }),
      });
      return client.clientId;
    };
    const clients = {
      billing: await register('billing', WORKLOAD_SUBJECTS.billing, ['orders:read', 'orders:write', 'inventory:read']),
      // The same workload (same certificate) with DPoP-bound tokens, for a hop where its certificate would not arrive.
      billingDpop: await register('billing-dpop', WORKLOAD_SUBJECTS.billing, ['orders:read'], 'dpop'),
      analytics: await register('analytics', WORKLOAD_SUBJECTS.analytics, ['orders:read']),
    };
    // A client of the old kind — a shared secret, plain bearer tokens — which the orders service must not accept.
    const legacy = await rampart.modules.oauth.clients.create({ type: 'confidential', clientId: 'reports', name: 'reports', grantTypes: ['client_credentials'], scopes: ['orders:read'] });

    const ordersEvents: SecurityEvent[] = [];
    const orders = await startOrders({
      issuer,
      tls: { cert: certificates.server.cert, key: certificates.server.key, ca: certificates.ca },
      callers: { [clients.billing]: { tenant: 'acme' }, [clients.billingDpop]: { tenant: 'acme' }, [clients.analytics]: { tenant: 'globex' } },
      events: (event) => ordersEvents.push(event),
    });
    cleanup.push(() => orders.close());

    let lastSent: Headers | undefined;
    const billing = await createBilling({
      issuer,
      clientId: clients.billing,
      dpopClientId: clients.billingDpop,
      identity: { cert: certificates.billing.cert, key: certificates.billing.key, ca: certificates.ca },
      ordersUrl: orders.url,
      ordersResource: ORDERS_RESOURCE,
      tap: (url, headers) => {
        if (url.startsWith(orders.url)) lastSent = headers;
      },
    });
    cleanup.push(() => {
      billing.close();
    });
    const bearerClient = { clientId: legacy.client.clientId, secret: legacy.clientSecret ?? '' };
    return { certificates, rampart, issuer, orders, billing, clients, bearerClient, ordersEvents, rampartEvents, lastSentToOrders: () => lastSent, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** One step of the demonstration: what was tried, what was expected, what happened. */
export interface Outcome {
  readonly step: string;
  readonly expected: 'allowed' | 'refused';
  /** The HTTP status, when there was an answer. */
  readonly status?: number;
  /** The OAuth error (`invalid_client`), or what refused the connection (`tls: …`). */
  readonly error?: string;
  /** The exact reason the orders service recorded in its events (`mtls_certificate_mismatch`, `no_role_in_tenant`). */
  readonly reason?: string;
  /** The body of an allowed call. */
  readonly body?: unknown;
  /** Whether it went as expected: allowed with 200, or refused. */
  readonly asExpected: boolean;
}

/** The reason of the last refusal the orders service recorded after `since` events. */
function reasonAfter(events: readonly SecurityEvent[], since: number): string | undefined {
  for (const event of events.slice(since).reverse()) {
    if (event.type === 'token.access.refused' || event.type === 'authz.denied') {
      const reason = event.attributes?.reason;
      if (typeof reason === 'string') return reason;
    }
  }
  return undefined;
}

/**
 * Plays the scenario: two allowed calls, then the attacks. `print` receives one line per step. Each outcome records
 * the answer and the reason the services logged, so a test can check more than "refused".
 */
export async function demonstrate(services: Services, print: (line: string) => void = () => undefined): Promise<Outcome[]> {
  const { billing, certificates, orders, ordersEvents } = services;
  const outcomes: Outcome[] = [];
  const record = (outcome: Omit<Outcome, 'asExpected'>): void => {
    const allowed = outcome.status === 200;
    const full: Outcome = { ...outcome, asExpected: outcome.expected === 'allowed' ? allowed : !allowed && (outcome.status !== undefined || outcome.error !== undefined) };
    outcomes.push(full);
    const answer = full.status !== undefined ? `${full.status}` : (full.error ?? 'no answer');
    const why = full.reason === undefined ? (full.error !== undefined && full.status !== undefined ? ` (${full.error})` : '') : ` (${full.reason})`;
    print(`${full.asExpected ? '✓' : '✗'} ${full.expected === 'allowed' ? 'allowed' : 'attack  '}  ${full.step}: ${answer}${why}`);
  };
  const call = async (step: string, expected: Outcome['expected'], run: () => Promise<CallResult>): Promise<void> => {
    const since = ordersEvents.length;
    try {
      const result = await run();
      const reason = reasonAfter(ordersEvents, since);
      record({ step, expected, status: result.status, ...(reason === undefined ? {} : { reason }), ...(result.status === 200 ? { body: result.body } : {}) });
    } catch (error) {
      const oauthError = (error as { error?: unknown }).error;
      // A refused handshake: the TLS alert the server sent (RFC 8446 §6), e.g. "certificate required".
      const alert = /alert ([a-z ]+?):/.exec((error as Error).message)?.[1];
      record({ step, expected, error: typeof oauthError === 'string' ? oauthError : `TLS handshake refused${alert === undefined ? '' : `: ${alert}`}` });
    }
  };
  const asCaller = (identity: { cert?: string; key?: string }) => async (id: string, headers: Headers): Promise<CallResult> => {
    const other = mtlsFetch({ ...identity, ca: certificates.ca });
    try {
      const response = await other(new URL(`/orders/${id}`, orders.url), { headers });
      return { status: response.status, body: await response.text(), challenge: response.headers.get('www-authenticate') };
    } finally {
      other.close();
    }
  };
  const analyticsCaller = asCaller({ cert: certificates.analytics.cert, key: certificates.analytics.key });

  await call('billing reads order o-1001 of its tenant with its certificate-bound token', 'allowed', () => billing.getOrder('o-1001'));
  const stolen = services.lastSentToOrders();
  await call('billing reads order o-1002 with a DPoP-bound token (over its mTLS connection)', 'allowed', () => billing.getOrderWithDpop('o-1002'));
  const captured = services.lastSentToOrders();
  const dpopRequest = captured?.has('dpop') === true ? captured : undefined;

  if (stolen !== undefined) {
    await call("billing's token replayed from another workload's connection (analytics' certificate)", 'refused', () => analyticsCaller('o-1001', stolen));
    await call("billing's token replayed by a caller without a client certificate", 'refused', () => asCaller({})('o-1001', stolen));
  }
  await call("a token billing obtained for the inventory API, presented to orders", 'refused', async () => billing.callOrders('o-1001', await billing.requestToken({ resource: INVENTORY_RESOURCE, scope: 'inventory:read' })));
  await call('a token for orders without orders:read (orders:write only)', 'refused', async () => billing.callOrders('o-1001', await billing.requestToken({ resource: ORDERS_RESOURCE, scope: 'orders:write' })));
  await call('billing reads order o-2001 of another tenant (globex)', 'refused', () => billing.getOrder('o-2001'));
  if (dpopRequest !== undefined) {
    await call('the DPoP request replayed as captured, proof included, on billing\'s own certificate', 'refused', async () => {
      const again = mtlsFetch({ cert: certificates.billing.cert, key: certificates.billing.key, ca: certificates.ca });
      try {
        const response = await again(new URL('/orders/o-1002', orders.url), { headers: dpopRequest });
        return { status: response.status, body: await response.text(), challenge: response.headers.get('www-authenticate') };
      } finally {
        again.close();
      }
    });
    const dpopToken = (dpopRequest.get('authorization') ?? '').replace(/^DPoP /, '');
    await call('the DPoP-bound token sent as a plain bearer token', 'refused', () => billing.callOrders('o-1002', dpopToken));
  }
  await call('a plain bearer token (a secret-authenticated client, no binding) on a valid mTLS connection', 'refused', async () => {
    const noCertificate = mtlsFetch({ ca: certificates.ca });
    let token: string;
    try {
      const { clientId, secret } = services.bearerClient;
      const response = await noCertificate(new URL('/oauth/token', services.issuer), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: ORDERS_RESOURCE, scope: 'orders:read' }),
      });
      token = ((await response.json()) as { access_token: string }).access_token;
    } finally {
      noCertificate.close();
    }
    return analyticsCaller('o-2001', new Headers({ authorization: `Bearer ${token}` }));
  });
  await call("analytics asks the token endpoint for a token as billing (client_id=billing, its own certificate)", 'refused', async () => {
    const analyticsTls = mtlsFetch({ cert: certificates.analytics.cert, key: certificates.analytics.key, ca: certificates.ca });
    try {
      const response = await analyticsTls(new URL('/oauth/token', services.issuer), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: services.clients.billing, resource: ORDERS_RESOURCE, scope: 'orders:read' }),
      });
      const body = (await response.json()) as { error?: string };
      if (body.error !== undefined) throw Object.assign(new Error(body.error), { error: body.error });
      return { status: response.status, body, challenge: null };
    } finally {
      analyticsTls.close();
    }
  });
  return outcomes;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const services = await startServices();
  let failed = 0;
  try {
    process.stdout.write(`Rampart server (TLS, client CA = workload CA): ${services.issuer}\norders service (mTLS required): ${services.orders.url}\n\n`);
    const outcomes = await demonstrate(services, (line) => process.stdout.write(`${line}\n`));
    failed = outcomes.filter((outcome) => !outcome.asExpected).length;
    process.stdout.write(`\n${failed === 0 ? 'every call went as the design says' : `${failed} step(s) did not go as expected`}\n`);
  } finally {
    await services.close();
  }
  process.exitCode = failed === 0 ? 0 : 1;
}
