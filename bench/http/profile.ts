// Profiling aid, not a benchmark: starts one server with `--cpu-prof`, loads it with wrk for a few seconds (same
// Origin and CSRF cookie as the benchmark), stops it, and prints the functions with the most self time.
// `npx tsx bench/http/profile.ts express rampart [seconds]`; the .cpuprofile lands in $RAMPART_PROFILE_DIR (/tmp).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_ORIGIN, isFramework, isVariant } from './common.js';
import { benchSession, startServer, stopServer } from './spawn.js';

const [framework = 'express', variant = 'rampart', seconds = '5'] = process.argv.slice(2);
if (!isFramework(framework) || !isVariant(variant)) throw new Error('usage: profile.ts <framework> <variant> [seconds]');
const keys = benchSession();
const dir = mkdtempSync(join(process.env.RAMPART_PROFILE_DIR ?? tmpdir(), 'rampart-prof-'));
const interval = process.env.RAMPART_PROFILE_INTERVAL_US ?? '1000';

const { child, ready } = await startServer(keys, framework, variant, {
  prefix: ['taskset', '-c', '1'],
  nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${interval}`],
});
const wrk = spawnSync('taskset', ['-c', '0', 'wrk', '-t1', '-c64', `-d${seconds}s`, '-H', `Origin: ${APP_ORIGIN}`, '-H', `Cookie: ${keys.cookie}`, `http://127.0.0.1:${ready.port}/`], { encoding: 'utf8' });
process.stdout.write(wrk.stderr + wrk.stdout.split('\n').filter((l) => /Requests\/sec|Non-2xx/.test(l)).join('\n') + '\n');
// SIGINT lets node write its profiles (the server's own handler exits cleanly).
child.kill('SIGINT');
await stopServer(child);

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number }
// tsx's loader runs in a worker thread with a profile of its own: the server's main thread is the largest one.
const file = readdirSync(dir)
  .filter((name) => name.endsWith('.cpuprofile'))
  .sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0]!;
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: Node[] };
const total = profile.nodes.reduce((sum, node) => sum + node.hitCount, 0);
const bySelf = new Map<string, number>();
for (const node of profile.nodes) {
  const where = node.callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*\/packages\//, 'packages/').replace(/^file:\/\//, '');
  const key = `${node.callFrame.functionName || '(anon)'} ${where}:${node.callFrame.lineNumber + 1}`;
  bySelf.set(key, (bySelf.get(key) ?? 0) + node.hitCount);
}
const top = [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.RAMPART_PROFILE_TOP ?? 40));
for (const [key, hits] of top) process.stdout.write(`${((100 * hits) / total).toFixed(1).padStart(5)}%  ${key}\n`);
process.stdout.write(`profile: ${join(dir, file)}\n`);
