// Instructions per request, counted by valgrind's callgrind on the server process after a long warm-up: far steadier than
// req/s or CPU time on a shared machine (a few % between runs, from JIT timing), so it shows what a change to the
// chain or an adapter costs. Slow (the server runs under valgrind): not part of `npm run bench`.
// `npx tsx bench/http/instructions.ts fastify bare floor rampart "rampart=headers,cors"` (variant=guards sets
// RAMPART_HTTP_BENCH_GUARDS); WARM and N set the warm-up and measured request counts (default 20000 / 5000).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KeyRing, type KeyRingDocument } from '../../packages/core/src/crypto/index.js';
import { APP_ORIGIN, READY_PREFIX, type Ready } from './common.js';
import { csrfGuard } from './rampart.js';

const [framework = 'fastify', ...variants] = process.argv.slice(2);
const WARM = Number(process.env.WARM ?? 20000);
const N = Number(process.env.N ?? 5000);
const document: KeyRingDocument = { active: 'i-1', keys: { 'i-1': randomBytes(32).toString('base64url') } };
const cookie = csrfGuard(KeyRing.fromDocument(document)).issueToken(undefined).setCookie.split(';')[0]!;

async function load(port: number, count: number, concurrency = 16): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let left = count; let finished = 0;
  await new Promise<void>((resolve, reject) => {
    const one = (): void => {
      if (left <= 0) return; left -= 1;
      get({ host: '127.0.0.1', port, path: '/', agent, headers: { origin: APP_ORIGIN, cookie } }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        res.resume(); res.on('end', () => { finished += 1; if (finished === count) resolve(); else one(); });
      }).on('error', reject);
    };
    for (let i = 0; i < concurrency; i += 1) one();
  });
  agent.destroy();
}

async function measure(spec: string): Promise<number> {
  const [variant, guards] = spec.split('=');
  const dir = mkdtempSync(join(tmpdir(), 'rampart-callgrind-'));
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', RAMPART_KEYRING: JSON.stringify(document), TSX_TSCONFIG_PATH: new URL('./tsx.tsconfig.json', import.meta.url).pathname };
  if (guards !== undefined) env.RAMPART_HTTP_BENCH_GUARDS = guards;
  const child: ChildProcess = spawn('valgrind', ['--tool=callgrind', '--smc-check=all-non-file', '--instr-atstart=no', `--callgrind-out-file=${dir}/out.%p`,
    process.execPath, '--single-threaded', '--import', 'tsx', process.env.SERVER ?? new URL('./server.ts', import.meta.url).pathname, '--framework', framework, '--variant', variant!], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  const ready = await new Promise<Ready>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => { if (line.startsWith(READY_PREFIX)) resolve(JSON.parse(line.slice(READY_PREFIX.length)) as Ready); });
  });
  await load(ready.port, WARM);
  spawnSync('callgrind_control', ['-i', 'on', String(child.pid)]);
  await load(ready.port, N);
  spawnSync('callgrind_control', ['-d', String(child.pid)]);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('exit', resolve));
  let total = 0;
  for (const name of readdirSync(dir)) {
    const m = /^summary: (\d+)/m.exec(readFileSync(join(dir, name), 'utf8')) ?? /^totals: (\d+)/m.exec(readFileSync(join(dir, name), 'utf8'));
    if (m !== null) total = Math.max(total, Number(m[1]));
  }
  return total / N;
}
for (const spec of variants) process.stdout.write(`${framework} ${spec.padEnd(40)} ${Math.round(await measure(spec)).toLocaleString('en-US').padStart(10)} instr/request\n`);
