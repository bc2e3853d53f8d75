// Instructions per request, counted by valgrind's callgrind on the server process after a long warm-up: far steadier than
// req/s or CPU time on a shared machine (a few % between runs, from JIT timing), so it shows what a change to the
// chain or an adapter costs. Slow (the server runs under valgrind): not part of `npm run bench`.
// `npx tsx bench/http/instructions.ts fastify bare floor rampart "rampart=headers,cors"` (variant=guards sets
// RAMPART_HTTP_BENCH_GUARDS); WARM and N set the warm-up and measured request counts (default 20000 / 5000).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_ORIGIN, isFramework, isVariant, type Framework } from './common.js';
import { benchSession, startServer } from './spawn.js';

const [frameworkArg = 'fastify', ...specs] = process.argv.slice(2);
if (!isFramework(frameworkArg)) throw new Error('usage: instructions.ts <framework> <variant>[=guards]…');
const framework: Framework = frameworkArg;
const WARM = Number(process.env.WARM ?? 20000);
const N = Number(process.env.N ?? 5000);
const keys = benchSession();
const cookie = keys.cookie;

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
  const [variant = '', guards] = spec.split('=');
  if (!isVariant(variant)) throw new Error(`unknown variant "${variant}"`);
  const dir = mkdtempSync(join(tmpdir(), 'rampart-callgrind-'));
  const { child, ready } = await startServer(keys, framework, variant, {
    prefix: ['valgrind', '--tool=callgrind', '--smc-check=all-non-file', '--instr-atstart=no', `--callgrind-out-file=${dir}/out.%p`],
    nodeArgs: ['--single-threaded'],
    env: guards === undefined ? {} : { RAMPART_HTTP_BENCH_GUARDS: guards },
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
for (const spec of specs) process.stdout.write(`${framework} ${spec.padEnd(40)} ${Math.round(await measure(spec)).toLocaleString('en-US').padStart(10)} instr/request\n`);
