// What the CLI suites share: the built bin run as an operator runs it (real child processes, none of the test runner's
// RAMPART_* variables), and the data a server and the command share on either backend.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import pg from 'pg';

/** The built bin (`npx tsc -b packages/cli/tsconfig.build.json` first). */
export const cliBin = resolve(import.meta.dirname, '../dist/bin.js');

const pgUrl = process.env.RAMPART_TEST_PG_URL;

/** The two backends, PostgreSQL skipped by name without `RAMPART_TEST_PG_URL`. */
export const CLI_BACKENDS = [
  { name: 'SQLite', backend: 'sqlite', skip: false },
  { name: 'PostgreSQL (needs RAMPART_TEST_PG_URL)', backend: 'postgres', skip: pgUrl === undefined },
] as const;

/** Where a server and the command share their data: SQLite in the data directory, or a PostgreSQL schema of its own. */
export async function cliStorage(
  backend: 'sqlite' | 'postgres',
  cwd: string,
  options: { readonly kek: string; readonly schemaPrefix: string },
): Promise<{ env: Record<string, string>; drop: () => Promise<void> }> {
  const env: Record<string, string> = { RAMPART_DATA_DIR: join(cwd, '.rampart'), RAMPART_KEK: options.kek, RAMPART_PORT: '0', RAMPART_LOG_LEVEL: 'warn' };
  if (backend === 'sqlite' || pgUrl === undefined) return { env, drop: () => Promise.resolve() };
  const schema = `${options.schemaPrefix}_${process.pid}_${Date.now()}`;
  const admin = new pg.Pool({ connectionString: pgUrl, max: 1 });
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const url = new URL(pgUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  env.RAMPART_DATABASE_URL = url.toString();
  return {
    env,
    drop: async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}

export interface Finished {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs `rampart …args` in `cwd` with only `env`'s RAMPART_* variables. */
export function rampart(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RAMPART_')));
  const child = spawn(process.execPath, [cliBin, ...args], { cwd, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  return new Promise((settle) => child.on('exit', (code) => { settle({ code, out, err }); }));
}
