// Starting benchmark servers, shared by the runner (load.ts) and the measuring aids (cpu.ts, profile.ts,
// instructions.ts): one run's CSRF key ring and token cookie, and a server child process (optionally behind a command
// prefix such as `taskset` or `valgrind`) that resolves once it prints its ready line.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { KeyRing, type KeyRingDocument } from '../../packages/core/src/crypto/index.js';
import { READY_PREFIX, type Framework, type Ready, type Variant } from './common.js';
import { csrfGuard } from './rampart.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));
/** Resolves the adapters' `@rampart/core` imports to core's source in the servers (see the file). */
const TSCONFIG = fileURLToPath(new URL('./tsx.tsconfig.json', import.meta.url));

/**
 * One run's CSRF key ring (handed to the Rampart servers as RAMPART_KEYRING) and the token cookie a browser would hold
 * after its first response. Every variant is loaded with the same `Cookie` and `Origin` headers, so each one parses what
 * it would in production, and Rampart verifies the token on each GET instead of minting one per request.
 */
export interface Session {
  readonly keyringJson: string;
  readonly cookie: string;
  readonly token: string;
  readonly headerName: string;
}

export function benchSession(): Session {
  const document: KeyRingDocument = { active: 'bench-1', keys: { 'bench-1': randomBytes(32).toString('base64url') } };
  const guard = csrfGuard(KeyRing.fromDocument(document));
  const issued = guard.issueToken(undefined);
  return { keyringJson: JSON.stringify(document), cookie: issued.setCookie.split(';')[0]!, token: issued.token, headerName: guard.headerName };
}

/** Every child process started and not yet exited, so a signal can stop them all. */
export const children = new Set<ChildProcess>();

export function killAll(): void {
  for (const child of children) child.kill('SIGKILL');
}

export interface StartOptions {
  /** Runs node behind this command (`['taskset', '-c', '1']`, a valgrind command line). */
  readonly prefix?: readonly string[];
  /** Node flags before the server script (`--cpu-prof`, `--single-threaded`). */
  readonly nodeArgs?: readonly string[];
  /** Added to the environment (`RAMPART_HTTP_BENCH_GUARDS` for an ablation). */
  readonly env?: Readonly<Record<string, string>>;
  /** Another server script speaking the same ready-line contract (server.ts by default). */
  readonly server?: string;
}

/** Starts `server.ts --framework … --variant …` and resolves with its ready line; rejects if it exits or hangs first. */
export async function startServer(keys: Session, framework: Framework, variant: Variant, options: StartOptions = {}): Promise<{ child: ChildProcess; ready: Ready }> {
  const all = [...(options.prefix ?? []), process.execPath, ...(options.nodeArgs ?? []), '--import', 'tsx', options.server ?? SERVER, '--framework', framework, '--variant', variant];
  const child = spawn(all[0]!, all.slice(1), {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', RAMPART_KEYRING: keys.keyringJson, TSX_TSCONFIG_PATH: TSCONFIG, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4000) stderr += chunk.toString();
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => { reject(new Error(`no ready line within 60 s\n${stderr}`)); }, 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((candidate) => candidate.startsWith(READY_PREFIX));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice(READY_PREFIX.length)) as Ready);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      const cause = stderr.split('\n').find((line) => /^\w*Error\b/.test(line)) ?? '';
      reject(new Error(`server exited (${code ?? 'signal'}) before it was ready: ${cause}\n${stderr}`));
    });
  });
  return { child, ready };
}

/** Stops a server (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
