// OAuth 2.0 client credentials grants (RFC 6749 §4.4) through the Rampart server — `createServer` as `rampart serve`
// builds it: SQLite in a temporary data directory, the guard chain, client secrets sealed at rest, the failed-
// authentication throttle, an `oauth.token.issued` event into the audit trail per grant — against a bare oidc-provider of the
// same version doing the same grant: the same client authentication (`client_secret_basic`), the same RFC 8707
// resource and RFC 9068 JWT access token (EdDSA, signed by jose in both), its in-memory adapter, a plain `http` server,
// nothing else. The ratio is the cost of Rampart's integration (goal ≤ 20%: ratio ≥ 0.8).
//
// The load comes from a worker thread (this file, run as a worker), so the HTTP client's work does not run on the
// event loop that serves the grants. Besides grants per second (wall clock, which on a shared machine depends on what
// else runs), each side's CPU is counted: the process's CPU time minus the load thread's own (Linux
// `/proc/thread-self/stat`), i.e. the serving event loop, the crypto and GC threads. Grants per CPU-second is the
// figure that does not move with the machine's load: it is the comparison's ratio, and "grants per core" set beside
// Keycloak's sizing guide, which plans 120 client credentials grants per second per vCPU.
//
// Verification at a resource server (plain, DPoP, mTLS) is in ./resource-server.bench.ts, against oauth4webapi:
// oidc-provider is an authorization server and verifies nothing at resource servers, so it has no row there.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { BenchRow, ComparisonRow, MeasureRow } from './harness.js';
import { clockTicks, closeConnections, closedLoop, describeFailures, percentile, send, threadCpuMs } from './server-load.bench.js';

const TIME_MS = Number(process.env.RAMPART_BENCH_TIME_MS ?? 1500);
/** Grant requests in flight: enough to keep the serving thread busy. */
const CONCURRENCY = 32;
/** Keycloak's sizing guide: client credentials grants per second one vCPU is planned for. */
const KEYCLOAK_GRANTS_PER_VCPU = 120;
const RESOURCE = 'https://orders.example/';
const SCOPE = 'orders:read';
const GRANT_BODY = new URLSearchParams({ grant_type: 'client_credentials', resource: RESOURCE, scope: SCOPE }).toString();

/** What the main thread asks the load thread for. */
interface LoadOrder {
  readonly role: 'oauth-load';
  readonly port: number;
  readonly authorization: string;
  readonly durationMs: number;
}

/** What the load thread answers. */
interface LoadReport {
  readonly ops: number;
  readonly ok: number;
  readonly meanMs: number;
  readonly p99: number;
  readonly failures: readonly (readonly [string, number])[];
  /** CPU time this thread used since it started (ms), when the platform tells (Linux). */
  readonly threadCpuMs: number | undefined;
}

/** The load thread: client credentials grants in a closed loop; each answer must hold an access token. */
async function loadThread(order: LoadOrder): Promise<LoadReport> {
  const ticks = clockTicks();
  const headers = { authorization: order.authorization, 'content-type': 'application/x-www-form-urlencoded' };
  const result = await closedLoop(CONCURRENCY, order.durationMs, async () => {
    const answer = await send(order.port, 'POST', '/oauth/token', headers, GRANT_BODY);
    const ok = answer.status === 200 && answer.body.includes('"access_token"');
    return { ok, label: String(answer.status), ms: answer.ms };
  });
  closeConnections();
  const meanMs = result.latencies.reduce((sum, ms) => sum + ms, 0) / Math.max(1, result.latencies.length);
  return { ops: result.ops, ok: result.ok, meanMs, p99: percentile(result.latencies, 99), failures: [...result.failures], threadCpuMs: threadCpuMs(ticks) };
}

if (!isMainThread && (workerData as Partial<LoadOrder> | null)?.role === 'oauth-load') {
  parentPort?.postMessage(await loadThread(workerData as LoadOrder));
}

/** A token endpoint under test. */
interface Target {
  readonly name: string;
  readonly port: number;
  readonly authorization: string;
  close(): Promise<void>;
}

const basic = (clientId: string, secret: string): string => `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function freePort(): Promise<number> {
  const probe = createHttpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function startRampart(): Promise<Target> {
  const { createServer, ensureDataDir, loadConfig } = await import('../packages/server/src/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-oauth-'));
  chmodSync(dir, 0o700);
  const configFile = join(dir, 'rampart.config.yaml');
  writeFileSync(configFile, ['oauth:', '  resources:', `    - indicator: ${RESOURCE}`, `      scopes: [${SCOPE}]`, ''].join('\n'));
  ensureDataDir(join(dir, 'data'));
  const port = await freePort();
  const config = loadConfig({
    cwd: dir,
    env: { RAMPART_CONFIG: configFile, RAMPART_DATA_DIR: join(dir, 'data'), RAMPART_HOST: '127.0.0.1', RAMPART_PORT: String(port), RAMPART_PUBLIC_URL: `http://127.0.0.1:${port}`, RAMPART_LOG_LEVEL: 'silent' },
  });
  const server = await createServer(config);
  await server.listen();
  const { client, clientSecret } = await server.modules.oauth.clients.create({ type: 'confidential', name: 'bench', grantTypes: ['client_credentials'], scopes: [SCOPE] });
  if (clientSecret === undefined) throw new Error('no client secret issued');
  return {
    name: 'Rampart server',
    port,
    authorization: basic(client.clientId, clientSecret),
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startBareProvider(): Promise<Target> {
  const { default: Provider } = await import('oidc-provider');
  const port = await freePort();
  const signing = { ...(generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as Record<string, string>), kid: 'bench', alg: 'EdDSA', use: 'sig' };
  const secret = randomBytes(32).toString('base64url');
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [{ client_id: 'bench', client_secret: secret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_basic', id_token_signed_response_alg: 'EdDSA' }],
    clientDefaults: { id_token_signed_response_alg: 'EdDSA' },
    jwks: { keys: [signing] },
    routes: { token: '/oauth/token' },
    ttl: { ClientCredentials: 600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? RESOURCE,
        useGrantedResource: () => false,
        getResourceServerInfo: () => ({ scope: SCOPE, audience: RESOURCE, accessTokenTTL: 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'EdDSA' } } }),
      },
    },
  });
  const callback = provider.callback();
  const server: Server = createHttpServer((request, response) => {
    void callback(request, response);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    name: 'bare oidc-provider',
    port,
    authorization: basic('bench', secret),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** One grant, checked: the same kind of token from both (an RFC 9068 JWT for the resource, EdDSA, with the scope). */
async function checkToken(target: Target): Promise<void> {
  const answer = await send(target.port, 'POST', '/oauth/token', { authorization: target.authorization, 'content-type': 'application/x-www-form-urlencoded' }, GRANT_BODY);
  if (answer.status !== 200) throw new Error(`${target.name}: ${answer.status} ${answer.body}`);
  const token = (JSON.parse(answer.body) as { access_token: string }).access_token;
  const [header = '', payload = ''] = token.split('.');
  const { alg, typ } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg: string; typ: string };
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { aud: string; scope: string };
  if (alg !== 'EdDSA' || typ !== 'at+jwt' || claims.aud !== RESOURCE || claims.scope !== SCOPE) throw new Error(`${target.name}: unexpected token ${alg} ${typ} ${claims.aud} ${claims.scope}`);
}

/** A run: the load thread's report, and the CPU the serving side used for it. */
interface Run extends LoadReport {
  /** Grants per CPU-second of everything in this process but the load thread (undefined off Linux). */
  readonly perCpuSecond: number | undefined;
  readonly serverCpuMs: number | undefined;
}

/** Runs the load thread against `target` for `durationMs`; the serving side's CPU is the process's minus the thread's. */
async function drive(target: Target, durationMs: number): Promise<Run> {
  const { startModuleWorker } = await import('../packages/core/src/worker-module.js');
  const order: LoadOrder = { role: 'oauth-load', port: target.port, authorization: target.authorization, durationMs };
  const before = process.cpuUsage();
  const worker = startModuleWorker(import.meta.url, 'oauth.bench', order);
  const report = await new Promise<LoadReport>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const used = process.cpuUsage(before);
  await worker.terminate();
  const serverCpuMs = report.threadCpuMs === undefined ? undefined : (used.user + used.system) / 1000 - report.threadCpuMs;
  return { ...report, serverCpuMs, perCpuSecond: serverCpuMs === undefined || serverCpuMs <= 0 ? undefined : report.ok / (serverCpuMs / 1000) };
}

/** The better of two runs (a shared machine slows a run down; it never speeds one up). */
function best(a: Run, b: Run): Run {
  return (a.perCpuSecond ?? a.ops) >= (b.perCpuSecond ?? b.ops) ? a : b;
}

const fmt = (value: number): string => Math.round(value).toLocaleString('en-US');

/** The OAuth suite (`npm run bench -- oauth`). */
export async function run(): Promise<BenchRow[]> {
  const rampart = await startRampart();
  const bare = await startBareProvider();
  try {
    await checkToken(rampart);
    await checkToken(bare);
    // Warm-up (JIT, connection pools, caches), then two rounds each, interleaved, the better kept.
    await drive(rampart, 500);
    await drive(bare, 500);
    const ours = best(await drive(rampart, TIME_MS), await drive(rampart, TIME_MS));
    const theirs = best(await drive(bare, TIME_MS), await drive(bare, TIME_MS));
    const rows: BenchRow[] = [];
    const throughput: ComparisonRow = {
      suite: 'oauth client_credentials (wall)',
      rampart: `POST /oauth/token c=${CONCURRENCY} p99 ${ours.p99.toFixed(1)} ms${describeFailures(ours)}`,
      rampartOps: ours.ops,
      peer: `bare oidc-provider p99 ${theirs.p99.toFixed(1)} ms${describeFailures(theirs)}`,
      peerOps: theirs.ops,
      ratio: ours.ops / theirs.ops,
    };
    rows.push(throughput);
    if (ours.perCpuSecond !== undefined && theirs.perCpuSecond !== undefined) {
      rows.push({
        suite: 'oauth client_credentials (per CPU-s)',
        rampart: `grants per CPU-second (${fmt(ours.serverCpuMs ?? 0)} ms CPU)`,
        rampartOps: ours.perCpuSecond,
        peer: `bare oidc-provider (${fmt(theirs.serverCpuMs ?? 0)} ms CPU)`,
        peerOps: theirs.perCpuSecond,
        ratio: ours.perCpuSecond / theirs.perCpuSecond,
      });
      const perCore: MeasureRow = {
        suite: 'oauth grants per core',
        name: `Rampart ${fmt(ours.perCpuSecond)}/s · bare ${fmt(theirs.perCpuSecond)}/s · Keycloak plans ${KEYCLOAK_GRANTS_PER_VCPU}/s per vCPU (Rampart ×${(ours.perCpuSecond / KEYCLOAK_GRANTS_PER_VCPU).toFixed(1)})`,
        ops: ours.perCpuSecond,
        meanMs: ours.meanMs,
      };
      rows.push(perCore);
    }
    return rows;
  } finally {
    await rampart.close();
    await bare.close();
  }
}
