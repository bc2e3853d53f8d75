// CPU time per request, for finding where the chain's cost goes on a busy machine: throughput swings with whatever
// else runs, but the CPU the server process itself spends per request does not (much). Starts each named server,
// warms it with wrk, then reads the process's utime+stime (/proc/<pid>/stat) around a measured wrk run.
// `npx tsx bench/http/cpu.ts express bare rampart [--seconds 4] [--rounds 3]`; RAMPART_HTTP_BENCH_GUARDS as in run.ts.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { APP_ORIGIN, isFramework, isVariant } from './common.js';
import { benchSession, startServer, stopServer } from './spawn.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { seconds: { type: 'string', default: '4' }, rounds: { type: 'string', default: '3' } } });
const [framework = 'express', ...variants] = positionals;
if (!isFramework(framework) || !variants.every(isVariant)) throw new Error('usage: cpu.ts <framework> <variant>…');
const keys = benchSession();
const TICK_US = 1e6 / 100; // USER_HZ

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the whole line)
}

function wrk(port: number, seconds: string): number {
  const out = spawnSync('taskset', ['-c', '0', 'wrk', '-t1', '-c64', `-d${seconds}s`, '-H', `Origin: ${APP_ORIGIN}`, '-H', `Cookie: ${keys.cookie}`, `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  if (/Non-2xx/.test(out.stdout)) throw new Error(`non-2xx answers:\n${out.stdout}`);
  const match = /(\d+) requests in/.exec(out.stdout);
  if (match === null) throw new Error(`wrk: ${out.stderr}${out.stdout}`);
  return Number(match[1]);
}

const results = new Map<string, number[]>();
for (let round = 0; round < Number(values.rounds); round += 1) {
  for (const variant of variants) {
    // taskset execs node, so the child's pid is the server's.
    const { child, ready } = await startServer(keys, framework, variant, { prefix: ['taskset', '-c', '1'] });
    wrk(ready.port, '2');
    const before = cpuTicks(child.pid!);
    const requests = wrk(ready.port, values.seconds);
    const perRequest = ((cpuTicks(child.pid!) - before) * TICK_US) / requests;
    await stopServer(child);
    results.set(variant, [...(results.get(variant) ?? []), perRequest]);
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(results.get(variants[0]!)!);
for (const [variant, xs] of results) {
  const m = median(xs);
  process.stdout.write(`${framework} ${variant.padEnd(8)} ${m.toFixed(1).padStart(7)} µs CPU/request (${xs.map((x) => x.toFixed(1)).join(', ')})  Δ ${(m - base).toFixed(1)} µs  share ${(base / m).toFixed(3)}\n`);
}
