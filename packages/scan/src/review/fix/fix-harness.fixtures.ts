// What the --fix suites share: temporary projects on disk that can import the repository's installed packages
// (express, better-sqlite3, pg, koa) through a node_modules link, which review skips, and apps run as child processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const REPOSITORY_MODULES = resolve(import.meta.dirname, '../../../../../node_modules');

/** A scratch area removed by `cleanup()`. */
export function scratch(prefix: string): { project: (files: Record<string, string>) => string; cleanup: () => void } {
  const temp = mkdtempSync(join(tmpdir(), prefix));
  let count = 0;
  return {
    project: (files) => {
      const root = join(temp, `p${++count}`);
      mkdirSync(root, { recursive: true });
      symlinkSync(REPOSITORY_MODULES, join(root, 'node_modules'), 'dir');
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(dirname(join(root, file)), { recursive: true });
        writeFileSync(join(root, file), text);
      }
      return root;
    },
    cleanup: () => {
      rmSync(temp, { recursive: true, force: true });
    },
  };
}

/** A running app: its base URL, and how to stop it. */
export interface RunningApp {
  readonly url: string;
  readonly stop: () => Promise<void>;
}

/**
 * Runs `node <file>` in `cwd`; the app prints the port it listens on (127.0.0.1, port 0) as its first line. Rejects
 * with the app's stderr when it exits first — a fix that broke the code shows here.
 */
export function runApp(cwd: string, file: string, env: NodeJS.ProcessEnv = {}): Promise<RunningApp> {
  const child: ChildProcess = spawn(process.execPath, [file], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((settle) => child.once('exit', () => { settle(); }));
  return new Promise((settle, fail) => {
    const lines = createInterface({ input: child.stdout ?? process.stdin });
    lines.once('line', (line) => {
      settle({
        url: `http://127.0.0.1:${line.trim()}`,
        stop: async () => {
          child.kill();
          await exited;
        },
      });
    });
    child.once('exit', (code) => { fail(new Error(`${file} exited with ${code}: ${stderr}`)); });
  });
}

/** Runs the app, calls `use` with it, and always stops it. */
export async function withApp<T>(cwd: string, file: string, use: (url: string) => Promise<T>, env: NodeJS.ProcessEnv = {}): Promise<T> {
  const app = await runApp(cwd, file, env);
  try {
    return await use(app.url);
  } finally {
    await app.stop();
  }
}
