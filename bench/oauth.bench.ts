// OAuth 2.0 client credentials grants (RFC 6749 §4.4) through the Rampart server — `createServer` as `rampart serve`
// builds it: SQLite in a temporary data directory, the guard chain, client secrets sealed at rest, the failed-
// authentication throttle, an `oauth.token.issued` event into the audit trail per grant — against a bare oidc-provider of the
// same version doing the same grant (./oauth-target.ts has both). The ratio is the cost of Rampart's integration
// (goal ≤ 20%: ratio ≥ 0.8).
//
// Method, for a shared two-core machine whose speed drifts by tens of percent within a minute:
// - each side runs in a process of its own (its heap, garbage collector and compiled code), and the load comes from a
//   worker thread of this third process, kept warm for the whole suite (its connection pools open, its code compiled);
// - each side is warmed until its throughput settles — two successive one-second windows within 10% of each other,
//   after at least 8 s: the Rampart server runs far more JavaScript than the bare provider (Fastify, the guard chain,
//   the SQL driver, the audit log) and keeps getting faster for 6–10 s of load (~500 grants/s in its first second,
//   ~2,000 from the sixth on, here), so a short warm-up measures code still compiling (this suite used to warm each
//   side for 0.5 s);
// - then rounds of one window per side, the order alternating each round; each round's ratio sets the two sides
//   side by side in the same minute, and the suite reports the median round (and the range).
// Besides grants per second (wall clock), each side's CPU time comes from the kernel (`/proc/<pid>/stat`, Linux):
// grants per CPU-second does not move with what else the machine runs, and "grants per core" is set beside Keycloak's
// sizing guide, which plans 120 client credentials grants per second per vCPU.
//
// Verification at a resource server (plain, DPoP, mTLS) is in ./resource-server.bench.ts, against oauth4webapi:
// oidc-provider is an authorization server and verifies nothing at resource servers, so it has no row there.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, workerData, type Worker } from 'node:worker_threads';
import type { BenchRow, ComparisonRow, MeasureRow } from './harness.js';
import { RESOURCE, SCOPE, type TargetReady, type TargetSide } from './oauth-target.js';
import { clockTicks, closeConnections, closedLoop, describeFailures, median, nextReply, percentile, processCpuMs, ratioRange, send } from './server-load.bench.js';

const TIME_MS = Number(process.env.RAMPART_BENCH_TIME_MS ?? 1500);
/** Measured rounds, one window per side each. */
const ROUNDS = 7;
/** Warm-up windows: at least this long in all, and at most this many windows. */
const WARM_MIN_MS = 8000;
const WARM_WINDOW_MS = 1000;
const WARM_MAX_WINDOWS = 20;
/** Grant requests in flight: enough to keep the serving thread busy. */
const CONCURRENCY = 32;
/** Keycloak's sizing guide: client credentials grants per second one vCPU is planned for. */
const KEYCLOAK_GRANTS_PER_VCPU = 120;
const GRANT_BODY = new URLSearchParams({ grant_type: 'client_credentials', resource: RESOURCE, scope: SCOPE }).toString();

/** What the main thread asks the load thread for: one window of grants against one side. */
interface LoadOrder {
  readonly port: number;
  readonly authorization: string;
  readonly durationMs: number;
}

/** What the load thread answers. */
interface LoadReport {
  readonly ok: number;
  /** Successful grants per second of the window. */
  readonly ops: number;
  readonly p99: number;
  readonly meanMs: number;
  readonly failures: readonly (readonly [string, number])[];
}

/** The load thread: client credentials grants in a closed loop; each answer must hold an access token. */
async function grants(order: LoadOrder): Promise<LoadReport> {
  const headers = { authorization: order.authorization, 'content-type': 'application/x-www-form-urlencoded' };
  const result = await closedLoop(CONCURRENCY, order.durationMs, async () => {
    const answer = await send(order.port, 'POST', '/oauth/token', headers, GRANT_BODY);
    const ok = answer.status === 200 && answer.body.includes('"access_token"');
    return { ok, label: String(answer.status), ms: answer.ms };
  });
  const meanMs = result.latencies.reduce((sum, ms) => sum + ms, 0) / Math.max(1, result.latencies.length);
  return { ok: result.ok, ops: result.ops, meanMs, p99: percentile(result.latencies, 99), failures: [...result.failures] };
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'oauth-load') {
  parentPort?.on('message', (order: LoadOrder | 'close') => {
    if (order === 'close') {
      closeConnections();
      parentPort?.close();
      return;
    }
    void grants(order).then((report) => parentPort?.postMessage(report));
  });
}

/** A side of the comparison, in its own process. */
interface Target extends TargetReady {
  readonly child: ChildProcess;
}

async function startTarget(side: TargetSide): Promise<Target> {
  const child = fork(fileURLToPath(new URL('./oauth-target.ts', import.meta.url)), [side], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ready = await new Promise<TargetReady>((resolve, reject) => {
    child.once('message', (message) => {
      resolve(message as TargetReady);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      reject(new Error(`the ${side} target exited (${String(code)}) before it listened`));
    });
  });
  return { ...ready, child };
}

async function stopTarget(target: Target): Promise<void> {
  if (target.child.exitCode !== null) return;
  const exited = new Promise((resolve) => target.child.once('exit', resolve));
  target.child.disconnect();
  await exited;
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

/** A window: the load thread's report, and the CPU the side's process used for it. */
interface Window extends LoadReport {
  /** Grants per CPU-second of the side's process (undefined off Linux). */
  readonly perCpuSecond: number | undefined;
  readonly cpuMs: number | undefined;
}

/** The load thread, one for the suite: its clients stay warm across windows and sides. */
class LoadThread {
  readonly #worker: Worker;
  readonly #ticks = clockTicks();

  constructor(worker: Worker) {
    this.#worker = worker;
  }

  async window(target: Target, durationMs: number): Promise<Window> {
    const pid = target.child.pid ?? -1;
    const before = processCpuMs(pid, this.#ticks);
    const reply = nextReply(this.#worker);
    const order: LoadOrder = { port: target.port, authorization: target.authorization, durationMs };
    this.#worker.postMessage(order);
    const report = (await reply) as LoadReport;
    const after = processCpuMs(pid, this.#ticks);
    const cpuMs = before === undefined || after === undefined ? undefined : after - before;
    return { ...report, cpuMs, perCpuSecond: cpuMs === undefined || cpuMs <= 0 ? undefined : report.ok / (cpuMs / 1000) };
  }

  /** Windows until two successive ones agree within 10% (after at least WARM_MIN_MS), or WARM_MAX_WINDOWS. */
  async warm(target: Target): Promise<number> {
    let last = 0;
    for (let n = 1; n <= WARM_MAX_WINDOWS; n++) {
      const { ops } = await this.window(target, WARM_WINDOW_MS);
      if (n * WARM_WINDOW_MS >= WARM_MIN_MS && last > 0 && Math.abs(ops - last) <= 0.1 * last) return n;
      last = ops;
    }
    return WARM_MAX_WINDOWS;
  }

  async close(): Promise<void> {
    this.#worker.postMessage('close');
    await this.#worker.terminate();
  }
}

const fmt = (value: number): string => Math.round(value).toLocaleString('en-US');

/** The OAuth suite (`npm run bench -- oauth`). */
export async function run(): Promise<BenchRow[]> {
  const { startModuleWorker } = await import('../packages/core/src/worker-module.js');
  const rampart = await startTarget('rampart');
  const bare = await startTarget('bare');
  const load = new LoadThread(startModuleWorker(import.meta.url, 'oauth.bench', { role: 'oauth-load' }));
  try {
    await checkToken(rampart);
    await checkToken(bare);
    const warmWindows = { rampart: await load.warm(rampart), bare: await load.warm(bare) };
    const rounds: { readonly ours: Window; readonly theirs: Window }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternating which side goes first: a machine slowing down or speeding up through a round favours neither.
      if (round % 2 === 0) {
        const ours = await load.window(rampart, TIME_MS);
        rounds.push({ ours, theirs: await load.window(bare, TIME_MS) });
      } else {
        const theirs = await load.window(bare, TIME_MS);
        rounds.push({ ours: await load.window(rampart, TIME_MS), theirs });
      }
    }
    const wallRatios = rounds.map(({ ours, theirs }) => ours.ops / theirs.ops);
    const ours = rounds.map((r) => r.ours);
    const theirs = rounds.map((r) => r.theirs);
    const p99 = (windows: readonly Window[]): string => `p99 ${median(windows.map((w) => w.p99)).toFixed(1)} ms`;
    const failures = (windows: readonly Window[]): string => describeFailures({ failures: windows.flatMap((w) => w.failures) });
    const rows: BenchRow[] = [
      {
        suite: 'oauth client_credentials (wall)',
        rampart: `POST /oauth/token c=${CONCURRENCY} ${p99(ours)}${failures(ours)}; median of ${ROUNDS} rounds (${ratioRange(wallRatios)}), warmed ${warmWindows.rampart} s`,
        rampartOps: median(ours.map((w) => w.ops)),
        peer: `bare oidc-provider ${p99(theirs)}${failures(theirs)}, warmed ${warmWindows.bare} s`,
        peerOps: median(theirs.map((w) => w.ops)),
        ratio: median(wallRatios),
      } satisfies ComparisonRow,
    ];
    const perCpu = rounds.flatMap(({ ours: o, theirs: t }) => (o.perCpuSecond === undefined || t.perCpuSecond === undefined ? [] : [{ ours: o.perCpuSecond, theirs: t.perCpuSecond }]));
    if (perCpu.length === rounds.length) {
      const cpuRatios = perCpu.map((r) => r.ours / r.theirs);
      const oursPerCpu = median(perCpu.map((r) => r.ours));
      const theirsPerCpu = median(perCpu.map((r) => r.theirs));
      rows.push({
        suite: 'oauth client_credentials (per CPU-s)',
        rampart: `grants per CPU-second of the server process (${ratioRange(cpuRatios)})`,
        rampartOps: oursPerCpu,
        peer: 'bare oidc-provider process',
        peerOps: theirsPerCpu,
        ratio: median(cpuRatios),
      } satisfies ComparisonRow);
      rows.push({
        suite: 'oauth grants per core',
        name: `Rampart ${fmt(oursPerCpu)}/s · bare ${fmt(theirsPerCpu)}/s · Keycloak plans ${KEYCLOAK_GRANTS_PER_VCPU}/s per vCPU (Rampart ×${(oursPerCpu / KEYCLOAK_GRANTS_PER_VCPU).toFixed(1)})`,
        ops: oursPerCpu,
        meanMs: median(ours.map((w) => w.meanMs)),
      } satisfies MeasureRow);
    }
    return rows;
  } finally {
    await load.close();
    await stopTarget(rampart);
    await stopTarget(bare);
  }
}
