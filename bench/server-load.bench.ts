// HTTP load for the server suites (bench/server.bench.ts): closed loops (N requests in flight, each worker sending its
// next when its last answered), an open loop (requests at a fixed arrival rate, whether or not earlier ones answered,
// as a flood does), and latency percentiles. Requests leave from many loopback source addresses (127.0.x.y): the
// server sees as many clients, so its per-client rate limits stay on and none of them throttles a benchmark that is
// not about them — the way a real crowd reaches a server, not a forwarded header it would have to be told to believe.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { Pool } from 'undici';

/** One answer: status, body, and how long it took (ms). */
export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
  readonly headers: Record<string, string | string[] | undefined>;
}

const SOURCE_ADDRESSES = 250;
// undici rather than node:http: the load generator shares the two cores with the server it measures, and every
// microsecond it spends per request is taken from the server (the login suite is measured against the raw Argon2id
// floor, which pays no HTTP at all). Connection pools per source address and target port, kept alive between requests.
const pools = new Map<string, Pool>();
let next = 0;

function poolFor(port: number): Pool {
  const i = next++ % SOURCE_ADDRESSES;
  const localAddress = `127.0.${1 + (i >> 8)}.${1 + (i & 255)}`;
  const key = `${localAddress}:${String(port)}`;
  let pool = pools.get(key);
  if (pool === undefined) {
    pool = new Pool(`http://127.0.0.1:${String(port)}`, { connections: 4, localAddress });
    pools.set(key, pool);
  }
  return pool;
}

/** Sends one request from the next source address. */
export async function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const started = performance.now();
  const answer = await poolFor(port).request({ method, path, headers, ...(body === undefined ? {} : { body }) });
  const text = await answer.body.text();
  return { status: answer.statusCode, body: text, ms: performance.now() - started, headers: answer.headers };
}

/** Sends a JSON body. */
export function sendJson(port: number, method: string, path: string, json: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return send(port, method, path, { ...headers, 'content-type': 'application/json' }, JSON.stringify(json));
}

/** Closes the keep-alive connections (between suites, so one server's sockets do not linger into the next). */
export function closeConnections(): void {
  for (const pool of pools.values()) void pool.destroy();
  pools.clear();
}

/** What a loop measured. */
export interface LoadResult {
  /** Operations that succeeded, per second of the run. */
  readonly ops: number;
  readonly ok: number;
  readonly failed: number;
  /** Latencies of the successful operations, ms, sorted. */
  readonly latencies: readonly number[];
  /** Statuses of the failed ones, counted. */
  readonly failures: ReadonlyMap<string, number>;
}

/** Failures by label (a loop's map or reports' pairs, the same label summed), as ` (503×12, 429×3)`; "" when none. */
export function describeFailures(result: { readonly failures: Iterable<readonly [string, number]> }): string {
  const counted = new Map<string, number>();
  for (const [label, n] of result.failures) counted.set(label, (counted.get(label) ?? 0) + n);
  return counted.size === 0 ? '' : ` (${[...counted].map(([label, n]) => `${label}×${String(n)}`).join(', ')})`;
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The range of per-round ratios, as `×0.64–0.87`. */
export function ratioRange(ratios: readonly number[]): string {
  return `×${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
}

/** A load thread's next message, or its error; neither listener outlives the answer (they would pile up per order). */
export function nextReply(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      worker.off('error', onError);
      resolve(message);
    };
    const onError = (error: Error): void => {
      worker.off('message', onMessage);
      reject(error);
    };
    worker.once('message', onMessage);
    worker.once('error', onError);
  });
}

/** The p-th percentile (0–100) of sorted latencies, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** One operation of a loop: resolves with the outcome (`ok`, or a label counted among the failures) and its latency. */
export type Operation = (worker: number) => Promise<{ readonly ok: boolean; readonly label?: string; readonly ms: number }>;

/** Outcomes counted as they come: latencies of the successes, failures by label. */
class Tally {
  readonly #latencies: number[] = [];
  readonly #failures = new Map<string, number>();
  #ok = 0;
  readonly #started = performance.now();

  record(outcome: Awaited<ReturnType<Operation>>): void {
    if (outcome.ok) {
      this.#ok++;
      this.#latencies.push(outcome.ms);
    } else {
      const label = outcome.label ?? 'failed';
      this.#failures.set(label, (this.#failures.get(label) ?? 0) + 1);
    }
  }

  /** The loop's result, its rate over the time since the tally began. */
  result(): LoadResult {
    let failed = 0;
    for (const n of this.#failures.values()) failed += n;
    const elapsedMs = performance.now() - this.#started;
    return { ops: (this.#ok * 1000) / elapsedMs, ok: this.#ok, failed, latencies: this.#latencies.sort((a, b) => a - b), failures: this.#failures };
  }
}

/** `concurrency` workers, each sending its next operation as soon as its last one answered, for `durationMs`. */
export async function closedLoop(concurrency: number, durationMs: number, op: Operation): Promise<LoadResult> {
  const tally = new Tally();
  const deadline = performance.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) tally.record(await op(worker));
    }),
  );
  return tally.result();
}

/**
 * One operation every `intervalMs` (or as soon as the last one answered, when it took longer), for `durationMs`: a
 * monitor's cadence — a readiness probe measures the server without keeping a core busy itself, which on a small
 * machine would take the CPU from the server it measures.
 */
export async function pacedLoop(intervalMs: number, durationMs: number, op: Operation): Promise<LoadResult> {
  const tally = new Tally();
  const started = performance.now();
  for (let n = 0; performance.now() - started < durationMs; n++) {
    const wait = started + n * intervalMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    tally.record(await op(n));
  }
  return tally.result();
}

/**
 * Operations arriving at `ratePerSecond` for `durationMs` regardless of how many are still unanswered (an open loop:
 * a flood does not wait for the server). Resolves when the last one answered.
 */
export async function openLoop(ratePerSecond: number, durationMs: number, op: Operation): Promise<LoadResult> {
  const tally = new Tally();
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  let sent = 0;
  while (performance.now() - started < durationMs) {
    const due = Math.floor(((performance.now() - started) * ratePerSecond) / 1000);
    for (; sent < due; sent++) {
      inFlight.push(
        op(sent).then((outcome) => {
          tally.record(outcome);
        }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(inFlight);
  return tally.result();
}

/** This thread's CPU time since it started, from `/proc/thread-self/stat` (utime + stime, in clock ticks); Linux only. */
export function threadCpuMs(ticksPerSecond: number): number | undefined {
  return statCpuMs('/proc/thread-self/stat', ticksPerSecond);
}

/** CPU time of process `pid` (all its threads) since it started, from `/proc/<pid>/stat`; Linux only. */
export function processCpuMs(pid: number, ticksPerSecond: number): number | undefined {
  return statCpuMs(`/proc/${String(pid)}/stat`, ticksPerSecond);
}

function statCpuMs(path: string, ticksPerSecond: number): number | undefined {
  if (!existsSync(path)) return undefined;
  const stat = readFileSync(path, 'utf8');
  // Fields after "pid (comm) ": state is the first; utime and stime are the 12th and 13th (proc(5) fields 14, 15).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** Clock ticks per second (`getconf CLK_TCK`), for {@link threadCpuMs}. */
export function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
