// The server under load: `rampart serve`'s own `createServer` in this process (SQLite in a temporary data directory,
// Argon2id at core's production parameters, every control on), driven over HTTP from many loopback client addresses
// (./server-load.bench.ts) and set against the floor of the same work (./server-peers.bench.ts):
//   login        successful POST /v1/login per second and p99, against raw Argon2id verifying the same stored hash at
//                the same concurrency — the faster of @node-rs/argon2 on libuv's pool and core's worker engine — in
//                rounds, each a login window beside its own floor windows (goal ≥ 0.8: a login is its Argon2id verify
//                and little else);
//   refresh      POST /v1/token rotations per second (each answer's refresh token is the next request's), against a
//                bare Fastify route doing jose signing + one conditional SQL UPDATE;
//   authz/check  POST /v1/authz/check with an API key, against CASL behind a bare Fastify route;
//   /readyz      p99 alone and during a login flood arriving at 3× the measured login capacity (goal ≤ 3×: the
//                hashing bulkhead keeps the flood off the event loop), probed from a thread of its own at a 5 ms
//                cadence and back to back, a calm and a flooded window in each round.
// Rounds: this machine's speed drifts by tens of percent within a minute (a shared two-core VM), so one window of each
// side, minutes apart, compares the machine's moods as much as the code. Each round sets both sides side by side (login
// rounds alternate which goes first), the login ratio is the median round's, and /readyz's percentiles are taken over every round's
// probes pooled (a p99 of one 1.5 s window of 300 paced probes is its third-worst probe).
import { mkdtempSync, chmodSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verify as argon2Verify } from '@node-rs/argon2';
import { createServer, loadConfig, type MailSender, type RampartServer } from '../packages/server/src/index.js';
import type { BenchRow, ComparisonRow, MeasureRow } from './harness.js';
import { createWorkerHashingEngine } from '../packages/core/src/password/index.js';
import { startModuleWorker } from '../packages/core/src/worker-module.js';
import type { FloodOrder, FloodReport, LoadSetup } from './server-flood.worker.js';
import { closeConnections, closedLoop, describeFailures, median, nextReply, percentile, ratioRange, send, sendJson, type LoadResult } from './server-load.bench.js';
import { startAuthzPeer, startRefreshPeer } from './server-peers.bench.js';

const TIME_MS = Number(process.env.RAMPART_BENCH_TIME_MS ?? 1500);
/**
 * The login suite's windows: a login is ~100× slower than the fast routes, so TIME_MS alone measures ~150 logins on
 * code still warming up. Logins are warmed for 3 s and measured for at least 3 s, the floor for half that before and
 * after.
 */
const LOGIN_WARM_MS = 3000;
const LOGIN_MS = Math.max(TIME_MS, 3000);
/** Measured rounds of the login and /readyz suites. */
const ROUNDS = 5;
/** Logins in flight: enough to keep the hashing bulkhead (one slot per core) full, within its queue (8 per slot). */
const LOGIN_CONCURRENCY = 8;
/** Requests in flight for the fast routes. */
const FAST_CONCURRENCY = 32;
const ACCOUNTS = 256;
const PASSWORD = 'violet kettle marching under cobalt rain';

const POLICY = `apiVersion: rampart.authz/v1
name: documents
version: "1"
roles:
  viewer: { permissions: ["document:read"] }
  editor: { inherits: [viewer], permissions: ["document:update"] }
resources:
  document:
    actions: [read, update, delete]
    rules:
      - name: owner-deletes
        effect: allow
        roles: ["*"]
        actions: [delete]
        condition: resource.owner == principal.id
`;
const CHECK = {
  principal: { id: 'u1', tenant: 'acme', roles: ['editor'] },
  resource: { kind: 'document', id: 'd1', owner: 'u2', tenant: 'acme' },
  action: 'update',
};

interface Target {
  readonly server: RampartServer;
  readonly port: number;
  readonly emails: readonly string[];
}

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;
const p99 = (result: LoadResult): number => percentile(result.latencies, 99);

async function startTarget(): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-bench-server-'));
  chmodSync(dataDir, 0o700);
  const verification = new Map<string, string>();
  // Mail stays in memory: the verification links, read back to verify the benchmark's accounts.
  const mail: MailSender = {
    send: (outgoing) => {
      const token = /#token=([A-Za-z0-9_-]+)/.exec(outgoing.text)?.[1];
      if (token !== undefined) verification.set(outgoing.to, token);
      return Promise.resolve();
    },
  };
  const config = loadConfig({ env: { RAMPART_DATA_DIR: dataDir, RAMPART_HOST: '127.0.0.1', RAMPART_PORT: '0', RAMPART_LOG_LEVEL: 'silent' }, cwd: dataDir });
  const server = await createServer(config, { mail });
  const port = Number(new URL(await server.listen()).port);
  const emails = Array.from({ length: ACCOUNTS }, (_, i) => `bench-${i}@example.com`);
  for (let i = 0; i < emails.length; i += 8) {
    await Promise.all(
      emails.slice(i, i + 8).map(async (email) => {
        const registered = await sendJson(port, 'POST', '/v1/accounts', { email, password: PASSWORD });
        if (registered.status !== 202) throw new Error(`register ${email}: ${registered.status} ${registered.body}`);
      }),
    );
  }
  for (let wait = 0; verification.size < emails.length && wait < 100; wait++) await new Promise((resolve) => setTimeout(resolve, 100));
  for (const email of emails) {
    const token = verification.get(email);
    if (token === undefined) throw new Error(`no verification mail for ${email}`);
    const verified = await sendJson(port, 'POST', '/v1/accounts/verify-email', { token });
    if (verified.status !== 200) throw new Error(`verify ${email}: ${verified.status} ${verified.body}`);
  }
  return { server, port, emails };
}

/** The login load thread (./server-flood.worker.ts): one per suite run, kept warm across its orders. */
class LoadThread {
  readonly #worker: ReturnType<typeof startModuleWorker>;
  readonly #ready: Promise<void>;

  constructor(t: Target) {
    const setup: LoadSetup = { port: t.port, emails: t.emails, password: PASSWORD };
    this.#worker = startModuleWorker(import.meta.url, 'server-flood.worker', setup);
    this.#ready = nextReply(this.#worker).then(() => undefined);
  }

  /** Runs one order and resolves with its report. */
  async run(load: FloodOrder['load'], durationMs: number): Promise<FloodReport> {
    await this.#ready;
    const order: FloodOrder = { durationMs, load };
    const report = nextReply(this.#worker);
    this.#worker.postMessage(order);
    return (await report) as FloodReport;
  }

  async close(): Promise<void> {
    this.#worker.postMessage('close');
    await this.#worker.terminate();
  }
}

/** CPU time of the whole process (every thread) since `since`, ms. */
const processCpuMs = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

/** One login round: a window of logins and, beside it, a window of each raw floor. */
interface LoginRound {
  readonly login: FloodReport;
  readonly loginPerCpu: number;
  readonly libuv: Floor;
  readonly threads: Floor;
}

/** A floor window: raw verifies, and verifies per CPU-second of the whole process. */
interface Floor {
  readonly result: LoadResult;
  readonly perCpuSecond: number;
}

async function loginSuite(t: Target, load: LoadThread): Promise<{ rows: BenchRow[]; capacity: number }> {
  const stored = await t.server.database.db.selectFrom('rampart_users').select('password_hash').where('email_normalized', '=', t.emails[0]!).executeTakeFirstOrThrow();
  const hash = stored.password_hash;
  await load.run({ mode: 'closed', concurrency: LOGIN_CONCURRENCY }, LOGIN_WARM_MS); // warm-up: server and clients
  // The raw floor, measured two ways at the same concurrency, and the faster one is the peer: @node-rs/argon2 on
  // libuv's pool (four threads on two cores), and core's worker engine (one thread per core, what the server uses)
  // with no HTTP around it. Each counts the process's CPU time too, for the per-CPU comparison.
  const password = new TextEncoder().encode(PASSWORD);
  const engine = createWorkerHashingEngine();
  const timed = async (verify: () => Promise<boolean>): Promise<Floor> => {
    const since = process.cpuUsage();
    const result = await closedLoop(LOGIN_CONCURRENCY, LOGIN_MS / 2, async () => {
      const started = performance.now();
      const ok = await verify();
      return { ok, ms: performance.now() - started };
    });
    return { result, perCpuSecond: (result.ok * 1000) / processCpuMs(since) };
  };
  const floors = async () => ({ libuv: await timed(() => argon2Verify(hash, PASSWORD)), threads: await timed(() => engine.argon2Verify(hash, password)) });
  const logins = async () => {
    const since = process.cpuUsage();
    const login = await load.run({ mode: 'closed', concurrency: LOGIN_CONCURRENCY }, LOGIN_MS);
    // The server's CPU: the whole process minus the load thread (the clients, which are other machines in production).
    const cpuMs = processCpuMs(since) - (login.cpuMs ?? 0);
    return { login, loginPerCpu: (login.ok * 1000) / cpuMs };
  };
  const rounds: LoginRound[] = [];
  try {
    await Promise.all(Array.from({ length: 2 * engine.threads }, () => engine.argon2Verify(hash, password))); // threads up and warm
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        const floor = await floors();
        rounds.push({ ...floor, ...(await logins()) });
      } else {
        const measured = await logins();
        rounds.push({ ...measured, ...(await floors()) });
      }
    }
  } finally {
    await engine.close();
  }
  // Per round, the faster floor is the peer (by throughput), and its per-CPU figure is the per-CPU peer.
  const compared = rounds.map((round) => {
    const raw = round.threads.result.ops >= round.libuv.result.ops ? round.threads : round.libuv;
    return { round, raw, ratio: round.login.ops / raw.result.ops, cpuRatio: round.loginPerCpu / raw.perCpuSecond, threads: raw === round.threads };
  });
  const threadsWon = compared.filter((c) => c.threads).length;
  const rawName = threadsWon * 2 > compared.length ? `argon2 verify on ${String(engine.threads)} worker threads` : 'argon2 verify on libuv';
  const ratios = compared.map((c) => c.ratio);
  const cpuRatios = compared.map((c) => c.cpuRatio);
  const loginOps = median(rounds.map((r) => r.login.ops));
  const loginLatencies = rounds.flatMap((r) => r.login.latencies).sort((a, b) => a - b);
  const rawLatencies = compared.flatMap((c) => c.raw.result.latencies).sort((a, b) => a - b);
  const failures = describeFailures({ failures: rounds.flatMap((r) => r.login.failures) });
  const wall: ComparisonRow = {
    suite: 'server login (Argon2id OWASP)',
    rampart: `POST /v1/login c=${LOGIN_CONCURRENCY} p99 ${fmt(percentile(loginLatencies, 99))}${failures}; median of ${ROUNDS} rounds (${ratioRange(ratios)})`,
    rampartOps: loginOps,
    peer: `${rawName} c=${LOGIN_CONCURRENCY} p99 ${fmt(percentile(rawLatencies, 99))}`,
    peerOps: median(compared.map((c) => c.raw.result.ops)),
    ratio: median(ratios),
  };
  const perCpu: ComparisonRow = {
    suite: 'server login per CPU-second',
    rampart: `logins per server CPU-s, load thread apart (${ratioRange(cpuRatios)})`,
    rampartOps: median(rounds.map((r) => r.loginPerCpu)),
    peer: `${rawName} per CPU-s`,
    peerOps: median(compared.map((c) => c.raw.perCpuSecond)),
    ratio: median(cpuRatios),
  };
  const floorRow: MeasureRow = {
    suite: 'server login raw floors',
    name: `per round: libuv ${rounds.map((r) => Math.round(r.libuv.result.ops)).join('/')} · threads ${rounds.map((r) => Math.round(r.threads.result.ops)).join('/')} verifies/s`,
    ops: median(compared.map((c) => c.raw.result.ops)),
    meanMs: rawLatencies.reduce((sum, ms) => sum + ms, 0) / Math.max(1, rawLatencies.length),
  };
  return { rows: [wall, perCpu, floorRow], capacity: loginOps };
}

async function refreshSuite(t: Target): Promise<BenchRow[]> {
  const chains: string[] = [];
  for (let i = 0; i < FAST_CONCURRENCY; i++) {
    const answer = await sendJson(t.port, 'POST', '/v1/login', { email: t.emails[i]!, password: PASSWORD, delivery: 'tokens' });
    if (answer.status !== 200) throw new Error(`login for tokens: ${answer.status} ${answer.body}`);
    chains.push((JSON.parse(answer.body) as { refresh_token: string }).refresh_token);
  }
  const rotate = (port: number, path: string, tokens: string[]) => async (worker: number) => {
    const body = `grant_type=refresh_token&refresh_token=${tokens[worker]!}&client_id=rampart`;
    const answer = await send(port, 'POST', path, { 'content-type': 'application/x-www-form-urlencoded' }, body);
    if (answer.status !== 200) return { ok: false, label: String(answer.status), ms: answer.ms };
    tokens[worker] = (JSON.parse(answer.body) as { refresh_token: string }).refresh_token;
    return { ok: true, ms: answer.ms };
  };
  const peer = await startRefreshPeer();
  try {
    const peerChains = peer.seed(FAST_CONCURRENCY);
    await closedLoop(FAST_CONCURRENCY, 300, rotate(t.port, '/v1/token', chains));
    await closedLoop(FAST_CONCURRENCY, 300, rotate(peer.port, '/token', peerChains));
    const rampart = await closedLoop(FAST_CONCURRENCY, TIME_MS, rotate(t.port, '/v1/token', chains));
    const floor = await closedLoop(FAST_CONCURRENCY, TIME_MS, rotate(peer.port, '/token', peerChains));
    return [
      {
        suite: 'server refresh rotation',
        rampart: `POST /v1/token c=${FAST_CONCURRENCY} p99 ${fmt(p99(rampart))}${describeFailures(rampart)}`,
        rampartOps: rampart.ops,
        peer: `fastify+jose+UPDATE p99 ${fmt(p99(floor))}${describeFailures(floor)}`,
        peerOps: floor.ops,
        ratio: rampart.ops / floor.ops,
      },
    ];
  } finally {
    await peer.close();
  }
}

async function authzSuite(t: Target): Promise<BenchRow[]> {
  const adminEmail = t.emails[t.emails.length - 1]!;
  const admin = await t.server.database.db.selectFrom('rampart_users').select('id').where('email_normalized', '=', adminEmail).executeTakeFirstOrThrow();
  await t.server.modules.authz.grantAdmin(admin.id);
  const tokens = await sendJson(t.port, 'POST', '/v1/login', { email: adminEmail, password: PASSWORD, delivery: 'tokens' });
  const bearer = { authorization: `Bearer ${(JSON.parse(tokens.body) as { access_token: string }).access_token}` };
  const current = await send(t.port, 'GET', '/v1/admin/policies', bearer);
  const etag = current.headers.etag;
  if (typeof etag !== 'string') throw new Error(`no policy ETag: ${current.status} ${current.body}`);
  const put = await sendJson(t.port, 'PUT', '/v1/admin/policies', { document: POLICY }, { ...bearer, 'if-match': etag });
  if (put.status !== 200) throw new Error(`policy: ${put.status} ${put.body}`);
  const key = await sendJson(t.port, 'POST', '/v1/api-keys', { name: 'bench', scopes: ['authz:check'] }, bearer);
  if (key.status !== 201) throw new Error(`api key: ${key.status} ${key.body}`);
  const apiKey = { authorization: `Bearer ${(JSON.parse(key.body) as { key: string }).key}` };
  const probe = await sendJson(t.port, 'POST', '/v1/authz/check', CHECK, apiKey);
  if (!probe.body.includes('"allowed":true')) throw new Error(`authz/check did not allow: ${probe.status} ${probe.body}`);
  const check = (port: number, path: string, headers: Record<string, string>) => async () => {
    const answer = await sendJson(port, 'POST', path, CHECK, headers);
    return { ok: answer.status === 200, label: String(answer.status), ms: answer.ms };
  };
  const peer = await startAuthzPeer();
  try {
    await closedLoop(FAST_CONCURRENCY, 300, check(t.port, '/v1/authz/check', apiKey));
    await closedLoop(FAST_CONCURRENCY, 300, check(peer.port, '/check', {}));
    const rampart = await closedLoop(FAST_CONCURRENCY, TIME_MS, check(t.port, '/v1/authz/check', apiKey));
    const floor = await closedLoop(FAST_CONCURRENCY, TIME_MS, check(peer.port, '/check', {}));
    return [
      {
        suite: 'server authz/check (API key)',
        rampart: `POST /v1/authz/check c=${FAST_CONCURRENCY} p99 ${fmt(p99(rampart))}${describeFailures(rampart)}`,
        rampartOps: rampart.ops,
        peer: `fastify+CASL p99 ${fmt(p99(floor))}${describeFailures(floor)}`,
        peerOps: floor.ops,
        ratio: rampart.ops / floor.ops,
      },
    ];
  } finally {
    await peer.close();
  }
}

/**
 * `/readyz` calm and under the flood, probed from a thread of its own (a kubelet or load balancer is another machine),
 * two ways: at a monitor's cadence (every 5 ms: 300 probes in 1.5 s, the probe itself nearly idle) and back to back
 * (the probe thread then keeps one of the machine's cores busy by itself, competing with the server it measures).
 */
async function readyzSuite(t: Target, load: LoadThread, loginCapacity: number): Promise<BenchRow[]> {
  const prober = new LoadThread(t);
  const rate = Math.max(1, Math.round(3 * loginCapacity));
  const rows: BenchRow[] = [];
  // What the machine itself gives a probe: a bare node:http server answering the same JSON, probed the same two ways
  // (an idle machine wakes up for each paced probe, which a probe back to back never lets it do).
  const bare = createHttpServer((_request, response) => {
    response.setHeader('content-type', 'application/json; charset=utf-8');
    response.end('{"status":"ready"}');
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const barePort = (bare.address() as AddressInfo).port;
  try {
    for (const [name, intervalMs] of [['every 5 ms', 5], ['back to back', 0]] as const) {
      await prober.run({ mode: 'probe', intervalMs, port: barePort }, 1000);
      const floor = await prober.run({ mode: 'probe', intervalMs, port: barePort }, TIME_MS);
      rows.push({ suite: `bare node:http /readyz ${name}`, name: `p99 ${fmt(floor.p99)} (the machine's floor for this probe)`, ops: floor.ops, meanMs: floor.meanMs });
      await prober.run({ mode: 'probe', intervalMs }, 2000); // warm: its connection and compiled code, the server's route
      const calm: FloodReport[] = [];
      const flooded: FloodReport[] = [];
      const floods: FloodReport[] = [];
      const settle = () => new Promise((resolve) => setTimeout(resolve, 1500));
      // Calm, then flooded, each round; after a flood the server is given time to finish what the bulkhead queued and
      // what the logins left behind (their audit events, the WAL), so the next calm window is calm.
      for (let round = 0; round < ROUNDS; round++) {
        calm.push(await prober.run({ mode: 'probe', intervalMs }, TIME_MS));
        const [probed, report] = await Promise.all([prober.run({ mode: 'probe', intervalMs }, TIME_MS), load.run({ mode: 'flood', rate }, TIME_MS)]);
        flooded.push(probed);
        floods.push(report);
        await settle();
      }
      const pooled = (reports: readonly FloodReport[]): number => percentile(reports.flatMap((r) => r.latencies).sort((a, b) => a - b), 99);
      const calmP99 = pooled(calm);
      const floodP99 = pooled(flooded);
      const roundRatios = flooded.map((r, i) => r.p99 / calm[i]!.p99);
      const ok = floods.reduce((sum, r) => sum + r.ok, 0);
      rows.push({
        suite: `server /readyz ${name} p99 flood ×${(floodP99 / calmP99).toFixed(2)}`,
        name: `calm ${fmt(calmP99)} → flood ${fmt(floodP99)}, ${ROUNDS} rounds pooled (per round ${ratioRange(roundRatios)}, calm p99s ${calm.map((r) => r.p99.toFixed(1)).join('/')} ms); ${rate}/s logins from another thread: ${ok} ok${describeFailures({ failures: floods.flatMap((r) => r.failures) })}${describeFailures({ failures: flooded.flatMap((r) => r.failures) })}`,
        ops: median(flooded.map((r) => r.ops)),
        meanMs: median(flooded.map((r) => r.meanMs)),
      });
    }
    return rows;
  } finally {
    await prober.close();
    bare.closeAllConnections();
    await new Promise((resolve) => bare.close(resolve));
  }
}

/** The server suites (`npm run bench -- server`). */
export async function run(): Promise<BenchRow[]> {
  const t = await startTarget();
  const load = new LoadThread(t);
  try {
    const login = await loginSuite(t, load);
    const readyz = await readyzSuite(t, load, login.capacity);
    const refresh = await refreshSuite(t);
    const authz = await authzSuite(t);
    return [...login.rows, ...readyz, ...refresh, ...authz];
  } finally {
    await load.close();
    closeConnections();
    await t.server.close();
  }
}
