/**
 * `npm run bench`: every suite side by side with the library people use today, in one run, with ratios.
 * `RAMPART_BENCH_TIME_MS` sets the time per contender (default 1500 ms); `npm run bench -- jwt crypto` runs a subset.
 */
import { arch, cpus, platform } from 'node:os';
import type { BenchRow, ComparisonRow } from './harness.js';

const suites: Record<string, () => Promise<{ run: () => Promise<BenchRow[]> }>> = {
  http: () => import('./http/index.js'),
  jwt: () => import('./jwt.bench.js'),
  'resource-server': () => import('./resource-server.bench.js'),
  password: () => import('./password.bench.js'),
  session: () => import('./session.bench.js'),
  ratelimit: () => import('./ratelimit.bench.js'),
  crypto: () => import('./crypto.bench.js'),
  validate: () => import('./validate.bench.js'),
  fetch: () => import('./fetch.bench.js'),
  authz: () => import('./authz/index.js'),
  audit: () => import('./audit.bench.js'),
  server: () => import('./server.bench.js'),
  oauth: () => import('./oauth.bench.js'),
  scan: () => import('./scan.bench.js'),
};

const isComparison = (row: BenchRow): row is ComparisonRow => 'ratio' in row;
const fmt = (ops: number): string => Math.round(ops).toLocaleString('en-US');

const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : Object.keys(suites);
process.stdout.write(`node ${process.version} · ${platform()}-${arch()} · ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length} · ${new Date().toISOString()}\n\n`);

for (const name of names) {
  const load = suites[name];
  if (load === undefined) throw new Error(`unknown suite "${name}"; known: ${Object.keys(suites).join(', ')}`);
  const rows = await (await load()).run();
  for (const row of rows) {
    if (isComparison(row)) {
      process.stdout.write(
        `${row.suite.padEnd(34)} ${row.rampart.padEnd(36)} ${fmt(row.rampartOps).padStart(11)} ops/s | ${row.peer.padEnd(30)} ${fmt(row.peerOps).padStart(11)} ops/s | ×${row.ratio.toFixed(2)}\n`,
      );
    } else {
      process.stdout.write(`${row.suite.padEnd(34)} ${row.name.padEnd(36)} ${fmt(row.ops).padStart(11)} ops/s | mean ${row.meanMs.toFixed(3)} ms\n`);
    }
  }
}
