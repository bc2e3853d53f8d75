// `tsx bench/http/run.ts [express] [fastify] [hono]`: bare vs Rampart's full chain vs the peer stack, one run, with
// ratios to bare. `RAMPART_HTTP_BENCH_SECONDS` sets the measured seconds per server (default 5, after a 2 s warm-up).
// Exits 1 when a server failed its checks or Rampart's chain missed its goal.
import { cpus } from 'node:os';
import { FRAMEWORKS, FULL_CHAIN, GOAL, isFramework, PEER_STACK, type Framework } from './common.js';
import { loadGenerator, runLoad, type LoadResult } from './load.js';

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !isFramework(name));
if (unknown.length > 0) throw new Error(`unknown framework(s) ${unknown.join(', ')}; known: ${FRAMEWORKS.join(', ')}`);
const frameworks = wanted.length > 0 ? wanted.filter(isFramework) : FRAMEWORKS;

const fmt = (n: number): string => (Number.isNaN(n) ? 'FAILED' : Math.round(n).toLocaleString('en-US'));
const ratio = (n: number): string => (Number.isNaN(n) ? '–' : n.toFixed(2));
const log = (line: string): void => {
  process.stderr.write(`  ${line}\n`);
};

process.stdout.write(`node ${process.version} · ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length} · ${new Date().toISOString()}\n`);
process.stdout.write(`load: ${loadGenerator()}\n\n`);
const results = await runLoad({ frameworks, log });

const find = (framework: Framework, variant: string): LoadResult =>
  results.find((row) => row.framework === framework && row.variant === variant) ?? {
    framework,
    variant: 'bare',
    requestsPerSecond: Number.NaN,
    latencyMeanMs: Number.NaN,
    latencyP99Ms: Number.NaN,
    ready: undefined,
    missing: [],
    error: 'not run',
  };

process.stdout.write(
  `\n${'framework'.padEnd(10)} ${'bare req/s'.padStart(11)} ${'rampart req/s'.padStart(14)} ${'×bare'.padStart(6)} ${'goal'.padStart(6)}  ${'peer req/s'.padStart(11)} ${'×bare'.padStart(6)}  rampart/peer  ${'floor req/s'.padStart(11)} ${'×bare'.padStart(6)}  rampart/floor  peer stack\n`,
);
const notes: string[] = [];
let ok = true;
for (const framework of frameworks) {
  const bare = find(framework, 'bare');
  const rampart = find(framework, 'rampart');
  const peer = find(framework, 'peer');
  const floor = find(framework, 'floor');
  const rampartRatio = rampart.requestsPerSecond / bare.requestsPerSecond;
  const peerRatio = peer.requestsPerSecond / bare.requestsPerSecond;
  const goal = GOAL[framework];
  const verdict = Number.isNaN(rampartRatio) ? 'not measured' : rampart.missing.length > 0 ? 'partial chain' : rampartRatio >= goal ? 'goal met' : 'goal MISSED';
  if (verdict !== 'goal met') ok = false;
  process.stdout.write(
    `${framework.padEnd(10)} ${fmt(bare.requestsPerSecond).padStart(11)} ${fmt(rampart.requestsPerSecond).padStart(14)} ${ratio(rampartRatio).padStart(6)} ${`≥${goal}`.padStart(6)}  ${fmt(peer.requestsPerSecond).padStart(11)} ${ratio(peerRatio).padStart(6)}  ${`×${ratio(rampart.requestsPerSecond / peer.requestsPerSecond)}`.padStart(12)}  ${fmt(floor.requestsPerSecond).padStart(11)} ${ratio(floor.requestsPerSecond / bare.requestsPerSecond).padStart(6)}  ${`×${ratio(rampart.requestsPerSecond / floor.requestsPerSecond)}`.padStart(13)}  ${PEER_STACK[framework]}\n`,
  );
  const chain = rampart.ready === undefined ? '' : ` (chain: ${rampart.ready.pieces.join(' → ') || 'no guards'}, via ${rampart.ready.glue})`;
  notes.push(
    `${framework}: ${verdict}${chain}; p99 ms bare ${ratio(bare.latencyP99Ms)} · rampart ${ratio(rampart.latencyP99Ms)} · peer ${ratio(peer.latencyP99Ms)}`,
  );
  for (const row of [bare, rampart, peer, floor]) if (row.error !== undefined) notes.push(`  ${framework}/${row.variant} FAILED: ${row.error.split('\n')[0] ?? ''}`);
}
process.stdout.write(
  `\n${notes.join('\n')}\nfull chain = ${FULL_CHAIN.join(' + ')}; each server was checked before load (security headers, CORS, rate-limit header, cross-site POST refused)\nfloor = Rampart's response headers as constants, no controls: the least any chain sending them can cost\n`,
);
if (!ok) process.exitCode = 1;

if (process.env.RAMPART_HTTP_BENCH_CHAIN !== '0') {
  const { chainCost } = await import('./chain-cost.js');
  process.stdout.write('\nchain cost in-process (no HTTP), per request:\n');
  for (const row of await chainCost()) {
    process.stdout.write(`  ${row.name.padEnd(44)} ${fmt(row.ops).padStart(11)} ops/s  ${(row.meanMs * 1000).toFixed(2).padStart(8)} µs\n`);
  }
}
