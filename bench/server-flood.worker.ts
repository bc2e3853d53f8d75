// Login load for the server suites (server.bench.ts), on a thread of its own: clients are other machines, so their HTTP
// work must not run on the event loop that serves the server (and the /readyz probe), where it would be measured as
// the server's latency. It still shares the machine's two cores, as local load would; the thread reports its own CPU
// time so the suite can count the server's CPU apart from it.
//   flood  an open loop at a fixed arrival rate (the /readyz suite);
//   closed a closed loop, `concurrency` logins in flight (the login suite).
import { parentPort, workerData } from 'node:worker_threads';
import { clockTicks, closeConnections, closedLoop, openLoop, percentile, sendJson, threadCpuMs } from './server-load.bench.js';

/** What the suite sends the thread. */
export interface FloodOrder {
  readonly port: number;
  readonly emails: readonly string[];
  readonly password: string;
  readonly durationMs: number;
  readonly load: { readonly mode: 'flood'; readonly rate: number } | { readonly mode: 'closed'; readonly concurrency: number };
}

/**
 * What the thread answers: counts, the p99 of the successful logins, and the thread's CPU time over its whole life
 * (loading its modules included: the suite counts the server's CPU as the process's minus this).
 */
export interface FloodReport {
  readonly ok: number;
  readonly ops: number;
  readonly p99: number;
  readonly failures: readonly (readonly [string, number])[];
  readonly cpuMs: number | undefined;
}

const order = workerData as FloodOrder;
const ticks = clockTicks();
let next = 0;
const login = async () => {
  const email = order.emails[next++ % order.emails.length] as string;
  const answer = await sendJson(order.port, 'POST', '/v1/login', { email, password: order.password });
  return { ok: answer.status === 200, label: String(answer.status), ms: answer.ms };
};
const result = order.load.mode === 'flood' ? await openLoop(order.load.rate, order.durationMs, login) : await closedLoop(order.load.concurrency, order.durationMs, login);
const cpuAfter = threadCpuMs(ticks);
closeConnections();
const report: FloodReport = {
  ok: result.ok,
  ops: result.ops,
  p99: percentile(result.latencies, 99),
  failures: [...result.failures],
  cpuMs: cpuAfter,
};
parentPort?.postMessage(report);
