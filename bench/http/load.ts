// Drives the HTTP benchmark: per framework and variant, starts the server pinned to one core, checks that it applies
// the controls it claims, warms it up and measures it with `wrk` pinned to the other core, then stops it.
import { spawn, spawnSync } from 'node:child_process';
import { request, type IncomingHttpHeaders } from 'node:http';
import { cpus } from 'node:os';
import { APP_ORIGIN, FRAMEWORKS, FULL_CHAIN, VARIANTS, type Framework, type Ready, type Variant } from './common.js';
import { benchSession, children, killAll, startServer, stopServer, type Session } from './spawn.js';

const WRK = process.env.RAMPART_HTTP_BENCH_WRK ?? 'wrk';
const CONNECTIONS = 64;
const WARMUP_SECONDS = 2;

export interface LoadOptions {
  readonly frameworks?: readonly Framework[];
  readonly variants?: readonly Variant[];
  /** Measured seconds per server (after a 2 s warm-up). Default `RAMPART_HTTP_BENCH_SECONDS`, else 5. */
  readonly seconds?: number;
  /** Interleaved rounds, median kept. Default `RAMPART_HTTP_BENCH_ROUNDS`, else 1. */
  readonly rounds?: number;
  readonly log?: (line: string) => void;
}

export interface LoadResult {
  readonly framework: Framework;
  readonly variant: Variant;
  readonly requestsPerSecond: number;
  readonly latencyMeanMs: number;
  readonly latencyP99Ms: number;
  /** Absent when the server failed. */
  readonly ready: Ready | undefined;
  /** Controls of the full chain the Rampart variant lacked (empty for the others). */
  readonly missing: readonly string[];
  /** Why the server could not be measured (it did not start, or did not apply its controls): nothing was measured. */
  readonly error?: string;
}

interface Pinning {
  readonly server: readonly string[];
  readonly load: readonly string[];
  readonly note: string;
}

function pinning(): Pinning {
  const taskset = spawnSync('taskset', ['-V'], { stdio: 'ignore' });
  if (taskset.error === undefined && taskset.status === 0 && cpus().length >= 2) {
    return { server: ['taskset', '-c', '1'], load: ['taskset', '-c', '0'], note: 'server on core 1, wrk on core 0 (taskset)' };
  }
  return { server: [], load: [], note: 'NOT pinned (no taskset or fewer than 2 cores): numbers are not comparable' };
}

const onSignal = (signal: NodeJS.Signals): void => {
  killAll();
  process.kill(process.pid, signal);
};

function command(prefix: readonly string[], file: string, args: readonly string[]): [string, string[]] {
  const all = [...prefix, file, ...args];
  return [all[0]!, all.slice(1)];
}

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function send(port: number, method: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: '/', headers, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }); });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Checks the server applies what its variant claims, so a broken chain cannot be measured as a fast one: security
 * headers and CORS on `GET /` from the SPA origin, a rate-limit header where a limiter runs, and a cross-site
 * `text/plain` POST (a form-less CSRF) refused.
 */
async function verify(keys: Session, framework: Framework, variant: Variant, ready: Ready): Promise<string[]> {
  const problems: string[] = [];
  const expect = (condition: boolean, what: string): void => {
    if (!condition) problems.push(what);
  };
  const protectedVariant = variant !== 'bare';
  // The floor sends the headers of every piece but enforces nothing: a cross-site POST passes.
  const has = (piece: string): boolean =>
    variant === 'peer' || (variant === 'rampart' && ready.pieces.includes(piece)) || (variant === 'floor' && piece !== 'csrf');
  const get = await send(ready.port, 'GET', { origin: APP_ORIGIN, cookie: keys.cookie });
  expect(get.status === 200 && get.body.replace(/\s/g, '') === '{"ok":true}', `GET / answered ${get.status} ${get.body.slice(0, 80)}`);
  const nosniff = get.headers['x-content-type-options'] === 'nosniff';
  const allowOrigin = get.headers['access-control-allow-origin'];
  const rateHeader = Object.keys(get.headers).some((name) => /^(x-)?ratelimit/.test(name));
  if (!protectedVariant) {
    expect(!nosniff && allowOrigin === undefined, 'bare server sends security or CORS headers');
  } else {
    if (has('headers')) expect(nosniff, 'no x-content-type-options: nosniff');
    if (has('cors')) {
      expect(allowOrigin === APP_ORIGIN, `access-control-allow-origin is ${String(allowOrigin)}`);
      expect(get.headers['access-control-allow-credentials'] === 'true', 'no access-control-allow-credentials: true');
    }
    if (has('ratelimit') && !(variant === 'peer' && framework === 'hono')) expect(rateHeader, 'no rate-limit header');
  }
  const forged = await send(
    ready.port,
    'POST',
    { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' },
    'amount=1000&to=attacker',
  );
  if (!protectedVariant || variant === 'floor') expect(forged.status === 200, `${variant} server refused a cross-site POST (${forged.status})`);
  else if (has('csrf')) expect(forged.status === 403, `cross-site POST answered ${forged.status}, not 403`);
  if (variant === 'rampart' && has('csrf')) {
    // The measured GETs carry a valid token: Rampart must keep it (no Set-Cookie), and mint one for a first visit.
    expect(get.headers['set-cookie'] === undefined, 'a GET with a valid CSRF cookie got a new one');
    const first = await send(ready.port, 'GET', { origin: APP_ORIGIN });
    expect((first.headers['set-cookie'] ?? []).some((line) => line.startsWith('__Host-csrf=')), 'a first GET got no CSRF token cookie');
    // And it is not refusing everything: the SPA's own POST with the double-submit token passes.
    const own = await send(ready.port, 'POST', { origin: APP_ORIGIN, cookie: keys.cookie, [keys.headerName]: keys.token, 'content-type': 'application/json' }, '{}');
    expect(own.status === 200, `the app's own POST with its token answered ${own.status}`);
  }
  return problems;
}

interface WrkResult {
  readonly requestsPerSecond: number;
  readonly latencyMeanMs: number;
  readonly latencyP99Ms: number;
  /** Non-2xx/3xx answers: a refusal under load means the benchmark measured something else. */
  readonly refused: number;
  readonly socketErrors: number;
}

function milliseconds(value: string, unit: string): number {
  const n = Number(value);
  if (unit === 'us') return n / 1000;
  if (unit === 's') return n * 1000;
  if (unit === 'm') return n * 60_000;
  return n;
}

function parseWrk(output: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  if (rps === null) throw new Error(`could not read wrk's output:\n${output}`);
  const latency = /Latency\s+([\d.]+)(us|ms|s|m)\b/.exec(output);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s|m)\b/.exec(output);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket === null ? 0 : socket.slice(1).reduce((sum, n) => sum + Number(n), 0);
  return {
    requestsPerSecond: Number(rps[1]),
    latencyMeanMs: latency === null ? Number.NaN : milliseconds(latency[1]!, latency[2]!),
    latencyP99Ms: p99 === null ? Number.NaN : milliseconds(p99[1]!, p99[2]!),
    refused: Number(non2xx?.[1] ?? 0),
    socketErrors,
  };
}

async function wrk(pin: Pinning, keys: Session, port: number, seconds: number): Promise<WrkResult> {
  const [file, args] = command(pin.load, WRK, [
    '-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-H', `Origin: ${APP_ORIGIN}`, '-H', `Cookie: ${keys.cookie}`, `http://127.0.0.1:${port}/`,
  ]);
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  }).finally(() => {
    clearTimeout(timer);
    children.delete(child);
  });
  if (code !== 0) throw new Error(`wrk exited with ${String(code)}:\n${output}`);
  return parseWrk(output);
}

export function loadGenerator(): string {
  return `wrk -t1 -c${CONNECTIONS}, one process, GET / with Origin: ${APP_ORIGIN} and a CSRF token cookie; ${pinning().note}`;
}

async function measureOne(
  pin: Pinning,
  keys: Session,
  framework: Framework,
  variant: Variant,
  seconds: number,
  log: (line: string) => void,
): Promise<LoadResult> {
  const { child, ready } = await startServer(keys, framework, variant, { prefix: pin.server });
  try {
    const problems = await verify(keys, framework, variant, ready);
    if (problems.length > 0) throw new Error(`does not apply its controls: ${problems.join('; ')}`);
    const missing = variant === 'rampart' ? FULL_CHAIN.filter((piece) => !ready.pieces.includes(piece)) : [];
    await wrk(pin, keys, ready.port, WARMUP_SECONDS);
    const measured = await wrk(pin, keys, ready.port, seconds);
    if (measured.refused > 0) throw new Error(`${measured.refused} non-2xx answers under load`);
    const notes = [
      ...(missing.length > 0 ? [`partial chain: no ${missing.join(', ')}`] : []),
      ...(measured.socketErrors > 0 ? [`${measured.socketErrors} socket errors`] : []),
    ];
    log(`${framework}/${variant}: ${Math.round(measured.requestsPerSecond)} req/s${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`);
    const { requestsPerSecond, latencyMeanMs, latencyP99Ms } = measured;
    return { framework, variant, requestsPerSecond, latencyMeanMs, latencyP99Ms, ready, missing };
  } finally {
    await stopServer(child);
  }
}

function median(samples: readonly LoadResult[]): LoadResult {
  const failed = samples.find((sample) => sample.error !== undefined);
  if (failed !== undefined) return failed;
  const sorted = [...samples].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * Runs every framework × variant in sequence: once by default (`npm run bench`), or `RAMPART_HTTP_BENCH_ROUNDS` times
 * interleaved (bare, rampart, peer, floor, bare, …) keeping each variant's median, which evens out a busy machine's drift.
 * Every server started is stopped, also on error or Ctrl-C.
 */
export async function runLoad(options: LoadOptions = {}): Promise<LoadResult[]> {
  const seconds = options.seconds ?? Number(process.env.RAMPART_HTTP_BENCH_SECONDS ?? 5);
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 120) throw new Error('RAMPART_HTTP_BENCH_SECONDS must be between 1 and 120');
  const rounds = options.rounds ?? Number(process.env.RAMPART_HTTP_BENCH_ROUNDS ?? 1);
  if (!Number.isSafeInteger(rounds) || rounds < 1 || rounds > 9) throw new Error('RAMPART_HTTP_BENCH_ROUNDS must be 1 to 9');
  const log = options.log ?? ((): void => undefined);
  const probe = spawnSync(WRK, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) throw new Error(`the HTTP benchmark needs wrk (apt-get install wrk): ${probe.error.message}`);
  const pin = pinning();
  const keys = benchSession();
  const frameworks = options.frameworks ?? FRAMEWORKS;
  const variants = options.variants ?? VARIANTS;
  const samples = new Map<string, LoadResult[]>();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const framework of frameworks) {
      for (let round = 0; round < rounds; round += 1) {
        for (const variant of variants) {
          const key = `${framework}/${variant}`;
          const list = samples.get(key) ?? [];
          samples.set(key, list);
          if (list.some((sample) => sample.error !== undefined)) continue;
          try {
            list.push(await measureOne(pin, keys, framework, variant, seconds, log));
          } catch (error) {
            // One broken server (an adapter still being written) must not hide the others; its row says FAILED.
            const message = error instanceof Error ? error.message : String(error);
            log(`${key}: FAILED ${message.split('\n')[0] ?? ''}`);
            list.push({ framework, variant, requestsPerSecond: Number.NaN, latencyMeanMs: Number.NaN, latencyP99Ms: Number.NaN, ready: undefined, missing: [], error: message });
          }
        }
      }
    }
  } finally {
    killAll();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  return [...samples.values()].map(median);
}
