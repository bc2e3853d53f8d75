// Login load for the server suites (server.bench.ts), on a thread of its own: clients are other machines, so their HTTP
// work must not run on the event loop that serves the server (and the /readyz probe), where it would be measured as
// the server's latency. It still shares the machine's two cores, as local load would; the thread reports its own CPU
// time per order so the suite can count the server's CPU apart from it.
//
// One thread serves every order of a suite (warm-up, measured logins, the flood): the clients are warm — their
// connection pools open and their code compiled — as other machines' clients are, instead of a fresh thread's cold
// HTTP client spending the measured seconds on the same cores as the server.
//   flood  an open loop of logins at a fixed arrival rate (the /readyz suite);
//   closed a closed loop, `concurrency` logins in flight (the login suite);
//   probe  `GET /readyz` one at a time, every `intervalMs` or back to back (0) — the /readyz suite, from a second
//          thread: a readiness probe is another machine's client too, and its HTTP work on the server's event loop
//          would be counted as the server's latency.
import { parentPort, workerData } from 'node:worker_threads';
import { clockTicks, closeConnections, closedLoop, openLoop, pacedLoop, percentile, send, sendJson, threadCpuMs, type LoadResult } from './server-load.bench.js';

/** What the thread is started with: the server and its accounts. */
export interface LoadSetup {
  readonly port: number;
  readonly emails: readonly string[];
  readonly password: string;
}

/** One order: how long, and what load. */
export interface FloodOrder {
  readonly durationMs: number;
  readonly load: { readonly mode: 'flood'; readonly rate: number } | { readonly mode: 'closed'; readonly concurrency: number } | { readonly mode: 'probe'; readonly intervalMs: number; readonly port?: number };
}

/** What the thread answers per order: counts, latencies of the successful requests, and the thread's CPU time for it. */
export interface FloodReport {
  readonly ok: number;
  readonly ops: number;
  readonly p99: number;
  /** Of the successful requests, ms, sorted: rounds of one measurement are pooled before their percentile is taken. */
  readonly latencies: readonly number[];
  readonly meanMs: number;
  readonly failures: readonly (readonly [string, number])[];
  readonly cpuMs: number | undefined;
}

const setup = workerData as LoadSetup;
const ticks = clockTicks();
let next = 0;
const login = async () => {
  const email = setup.emails[next++ % setup.emails.length] as string;
  const answer = await sendJson(setup.port, 'POST', '/v1/login', { email, password: setup.password });
  return { ok: answer.status === 200, label: String(answer.status), ms: answer.ms };
};

const readyz = (port: number) => async () => {
  const answer = await send(port, 'GET', '/readyz');
  return { ok: answer.status === 200, label: String(answer.status), ms: answer.ms };
};

function execute(order: FloodOrder): Promise<LoadResult> {
  switch (order.load.mode) {
    case 'flood':
      return openLoop(order.load.rate, order.durationMs, login);
    case 'closed':
      return closedLoop(order.load.concurrency, order.durationMs, login);
    case 'probe': {
      const probe = readyz(order.load.port ?? setup.port);
      return order.load.intervalMs > 0 ? pacedLoop(order.load.intervalMs, order.durationMs, probe) : closedLoop(1, order.durationMs, probe);
    }
  }
}

parentPort?.on('message', (order: FloodOrder | 'close') => {
  if (order === 'close') {
    closeConnections();
    parentPort?.close();
    return;
  }
  void (async () => {
    const cpuBefore = threadCpuMs(ticks);
    const result = await execute(order);
    const cpuAfter = threadCpuMs(ticks);
    const report: FloodReport = {
      ok: result.ok,
      ops: result.ops,
      p99: percentile(result.latencies, 99),
      latencies: result.latencies,
      meanMs: result.latencies.reduce((sum, ms) => sum + ms, 0) / Math.max(1, result.latencies.length),
      failures: [...result.failures],
      cpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
    };
    parentPort?.postMessage(report);
  })();
});
parentPort?.postMessage('ready');
