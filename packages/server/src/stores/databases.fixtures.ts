/*
 * Test databases for the SQL stores: a real SQLite file and, when RAMPART_TEST_PG_URL is set, a PostgreSQL schema of
 * its own, both opened exactly as the server opens them (`openDatabase`) and migrated. Each `open()` is a new
 * connection (pool) to the same data: a second server process, or the same server after a restart.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '../config/config.js';
import { ensureDataDir } from '../data-dir.js';
import { openDatabase, type ServerDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrations.js';
import { createTestSchema } from '../testing/pg-schema.fixtures.js';

export const pgUrl = process.env.RAMPART_TEST_PG_URL;

/** Where one test run's data lives; `open()` as often as needed, `dispose()` once at the end. */
export interface TestBackend {
  readonly kind: 'sqlite' | 'postgres';
  /** What a contender process needs to open the same database. */
  readonly location: BackendLocation;
  open(): Promise<ServerDatabase>;
  dispose(): Promise<void>;
}

export interface BackendLocation {
  readonly dataDir: string;
  readonly databaseUrl?: string;
}

/** Opens the database at `location` as the server would, and migrates it unless `migrate` is false. */
export async function openAt(location: BackendLocation, migrate = true): Promise<ServerDatabase> {
  const env: NodeJS.ProcessEnv = { RAMPART_DATA_DIR: location.dataDir };
  if (location.databaseUrl !== undefined) env.RAMPART_DATABASE_URL = location.databaseUrl;
  const database = openDatabase(loadConfig({ env, cwd: location.dataDir }));
  if (!migrate) return database;
  // Kysely's migrator introspects every schema of a PostgreSQL database (pg_catalog); another test run dropping its
  // schema at that moment can make it fail. That is a race between test runs, not a store fault: try again.
  for (let attempt = 1; ; attempt++) {
    try {
      await migrateToLatest(database.db);
      return database;
    } catch (error) {
      if (location.databaseUrl === undefined || attempt === 5) {
        await database.close();
        throw error;
      }
    }
  }
}

function backend(kind: 'sqlite' | 'postgres', location: BackendLocation, cleanup: () => Promise<void>): TestBackend {
  const opened: ServerDatabase[] = [];
  let closed = false;
  return {
    kind,
    location,
    open: async () => {
      const database = await openAt(location, opened.length === 0);
      opened.push(database);
      return database;
    },
    dispose: async () => {
      if (closed) return;
      closed = true;
      // Closing twice is harmless for Kysely; tests close some themselves to show data survives a restart.
      await Promise.all(opened.map((database) => database.close().catch(() => undefined)));
      await cleanup();
    },
  };
}

/** A fresh SQLite file in its own owner-only directory. */
export function sqliteBackend(): TestBackend {
  const dataDir = mkdtempSync(join(tmpdir(), `rampart-stores-${process.pid}-`));
  ensureDataDir(dataDir);
  return backend('sqlite', { dataDir }, () => {
    rmSync(dataDir, { recursive: true, force: true });
    return Promise.resolve();
  });
}

/** A fresh PostgreSQL schema (`rampart_stores_<pid>_<now>_<n>`), dropped on dispose. */
export async function postgresBackend(url: string): Promise<TestBackend> {
  const schema = await createTestSchema(url, 'stores');
  const dataDir = mkdtempSync(join(tmpdir(), `rampart-stores-${process.pid}-`));
  ensureDataDir(dataDir);
  return backend('postgres', { dataDir, databaseUrl: schema.url }, async () => {
    await schema.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
}

/** The backends to run every store's cases on: SQLite always, PostgreSQL when configured. */
export const BACKENDS: readonly { readonly name: string; readonly skip: boolean; readonly create: () => Promise<TestBackend> }[] = [
  { name: 'SQLite (a real file)', skip: false, create: () => Promise.resolve(sqliteBackend()) },
  {
    name: 'PostgreSQL (needs RAMPART_TEST_PG_URL)',
    skip: pgUrl === undefined,
    create: () => postgresBackend(pgUrl ?? ''),
  },
];

/** One operation a contender process performs on the shared database; see `contender.fixtures.ts`. */
export type ContenderOperation =
  | { readonly op: 'refresh-rotate'; readonly parentHash: string; readonly successorId: string; readonly familyId: string; readonly parentId: string }
  | { readonly op: 'backup-consume'; readonly subject: string; readonly kid: string; readonly hash: string }
  | { readonly op: 'totp-accept'; readonly key: string; readonly step: number }
  | { readonly op: 'challenge-take'; readonly ceremonyId: string }
  | { readonly op: 'session-rotate'; readonly replaces: string; readonly key: string };

const CONTENDER = new URL('./contender.fixtures.ts', import.meta.url).pathname;

/**
 * Runs each operation in its own Node process with its own connection to the database at `location`, all released
 * at once after every process has connected, and resolves with each process's JSON answer. This is the attack as it
 * happens in production: several server processes redeeming the same secret at the same moment.
 */
export async function raceInProcesses(location: BackendLocation, operations: readonly ContenderOperation[]): Promise<unknown[]> {
  const children = operations.map((operation) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CONTENDER, JSON.stringify({ location, operation })], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    const iterator = lines[Symbol.asyncIterator]();
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { child, iterator, exited };
  });
  try {
    for (const { iterator } of children) {
      const ready = await iterator.next();
      if (ready.done === true || ready.value !== 'ready') throw new Error(`contender did not get ready: ${String(ready.value)}`);
    }
    for (const { child } of children) child.stdin.write('go\n');
    const answers: unknown[] = [];
    for (const { iterator, exited } of children) {
      const answer = await iterator.next();
      if (answer.done === true) throw new Error('contender exited without an answer');
      answers.push(JSON.parse(answer.value));
      await exited;
    }
    return answers;
  } finally {
    for (const { child } of children) if (child.exitCode === null) child.kill();
  }
}
