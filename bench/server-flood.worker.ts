// The login flood of the /readyz suite (server.bench.ts), on a thread of its own: a flood comes from other machines,
// so its HTTP client work must not run on the event loop that serves the server (and the /readyz probe), where it
// would be measured as the server's latency. It still shares the machine's two cores, as a local flood would.
import { parentPort, workerData } from 'node:worker_threads';
import { closeConnections, openLoop, sendJson } from './server-load.bench.js';

/** What the suite sends the thread. */
export interface FloodOrder {
  readonly port: number;
  readonly emails: readonly string[];
  readonly password: string;
  readonly rate: number;
  readonly durationMs: number;
}

/** What the thread answers: the open loop's counts (latencies stay here). */
export interface FloodReport {
  readonly ok: number;
  readonly failures: readonly (readonly [string, number])[];
}

const order = workerData as FloodOrder;
let next = 0;
const result = await openLoop(order.rate, order.durationMs, async () => {
  const email = order.emails[next++ % order.emails.length] as string;
  const answer = await sendJson(order.port, 'POST', '/v1/login', { email, password: order.password });
  return { ok: answer.status === 200, label: String(answer.status), ms: answer.ms };
});
closeConnections();
const report: FloodReport = { ok: result.ok, failures: [...result.failures] };
parentPort?.postMessage(report);
