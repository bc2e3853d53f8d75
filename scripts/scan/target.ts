import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, chmodSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The server under scan: where it answers and where its data directory is. */
export interface ScanTarget {
  /** `http://127.0.0.1:<port>`: the server itself. */
  readonly origin: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server (SIGTERM: graceful shutdown, the audit trail's final checkpoint). */
  stop(): Promise<void>;
}

/** What the scan server is started with. */
export interface TargetOptions {
  /** The repository root (the built CLI is `packages/cli/dist/bin.js`). */
  readonly root: string;
  readonly workDir: string;
  /** The address users reach: the TLS proxy in front, `https://localhost:<port>`. */
  readonly publicUrl: string;
  /** Redis for the rate-limit counters, and the key prefix this run owns. */
  readonly redisUrl: string;
  readonly redisKeyPrefix: string;
}

/** A free TCP port on loopback (bound and released; the server binds it a moment later). */
export async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => { resolve(); }));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * The server's environment: only the settings of this scan — an inherited `RAMPART_*` variable (a developer's
 * PostgreSQL URL, a production KEK) must not leak into a throwaway server that scanners write garbage into.
 */
function serverEnvironment(options: TargetOptions, dataDir: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('RAMPART_')) env[name] = value;
  return {
    ...env,
    RAMPART_ENV: 'development',
    RAMPART_HOST: '127.0.0.1',
    RAMPART_PORT: String(port),
    RAMPART_DATA_DIR: dataDir,
    RAMPART_PUBLIC_URL: options.publicUrl,
    // The TLS proxy of the Observatory run connects from loopback; the server believes its X-Forwarded-Proto only.
    RAMPART_TRUSTED_PROXIES: '127.0.0.1',
    RAMPART_REDIS_URL: options.redisUrl,
    RAMPART_REDIS_KEY_PREFIX: options.redisKeyPrefix,
    RAMPART_LOG_LEVEL: 'warn',
  };
}

async function waitReady(origin: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(`${origin}/readyz`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`the server was not ready within ${timeoutMs} ms`);
}

/**
 * Starts `rampart serve` (the built CLI, exactly what an operator runs) on 127.0.0.1 with a fresh SQLite data
 * directory, and waits for `/readyz`. Scanners only ever reach this throwaway instance.
 */
export async function startTarget(options: TargetOptions): Promise<ScanTarget> {
  const dataDir = mkdtempSync(join(options.workDir, 'data-'));
  chmodSync(dataDir, 0o700);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const log = createWriteStream(join(options.workDir, 'server.log'));
  const child = spawn(process.execPath, [join(options.root, 'packages/cli/dist/bin.js'), 'serve'], {
    cwd: options.workDir,
    env: serverEnvironment(options, dataDir, port),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  try {
    await waitReady(origin, child, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    origin,
    port,
    dataDir,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(forced);
    },
  };
}
