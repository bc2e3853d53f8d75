// Profiling aid, not a benchmark: starts one server with `--cpu-prof`, loads it with wrk for a few seconds (same
// Origin and CSRF cookie as the benchmark), stops it, and prints the functions with the most self time.
// `npx tsx bench/http/profile.ts express rampart [seconds]`; the .cpuprofile lands in $RAMPART_PROFILE_DIR (/tmp).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KeyRing, type KeyRingDocument } from '../../packages/core/src/crypto/index.js';
import { APP_ORIGIN, READY_PREFIX, type Ready } from './common.js';
import { csrfGuard } from './rampart.js';

const [framework = 'express', variant = 'rampart', seconds = '5'] = process.argv.slice(2);
const document: KeyRingDocument = { active: 'p-1', keys: { 'p-1': randomBytes(32).toString('base64url') } };
const issued = csrfGuard(KeyRing.fromDocument(document)).issueToken(undefined);
const cookie = issued.setCookie.split(';')[0]!;
const dir = mkdtempSync(join(process.env.RAMPART_PROFILE_DIR ?? tmpdir(), 'rampart-prof-'));

const child = spawn(
  'taskset',
  ['-c', '1', process.execPath, '--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${process.env.RAMPART_PROFILE_INTERVAL_US ?? '1000'}`, ...(process.env.RAMPART_PROFILE_DIST === '1' ? [] : ['--import', 'tsx']),
    new URL(process.env.RAMPART_PROFILE_DIST === '1' ? './server.js' : './server.ts', import.meta.url).pathname, '--framework', framework, '--variant', variant],
  { env: { ...process.env, NODE_ENV: 'production', RAMPART_KEYRING: JSON.stringify(document), TSX_TSCONFIG_PATH: new URL('./tsx.tsconfig.json', import.meta.url).pathname }, stdio: ['ignore', 'pipe', 'inherit'] },
);
const ready = await new Promise<Ready>((resolve) => {
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith(READY_PREFIX)) resolve(JSON.parse(line.slice(READY_PREFIX.length)) as Ready);
  });
});
const wrk = spawnSync('taskset', ['-c', '0', 'wrk', '-t1', '-c64', `-d${seconds}s`, '-H', `Origin: ${APP_ORIGIN}`, '-H', `Cookie: ${cookie}`, `http://127.0.0.1:${ready.port}/`], { encoding: 'utf8' });
process.stdout.write(wrk.stderr + wrk.stdout.split('\n').filter((l) => /Requests\/sec|Non-2xx/.test(l)).join('\n') + '\n');
child.kill('SIGINT');
await new Promise((resolve) => child.on('exit', resolve));

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number }
const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))!;
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
