/*
 * A whole server for end-to-end tests: `createServer` exactly as `rampart serve` builds it, listening on a real
 * loopback port, on SQLite or — when RAMPART_TEST_PG_URL is set — on a PostgreSQL schema of its own. Only the costs a
 * test cannot wait for are lowered (Argon2id parameters), and the clock and the mail transport are the test's.
 */
import { createServer as createNetServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, type SecurityEvent } from '@rampart/core';
import { createPasswordHasher } from '@rampart/core/password';
import { createServer, type RampartServer } from '../app.js';
import { loadConfig } from '../config/config.js';
import { ensureDataDir } from '../data-dir.js';
import type { OutgoingMail } from '../accounts/index.js';
import type { LogDestination } from '../ops/logging.js';
import { createTestSchema } from './pg-schema.fixtures.js';

export const pgUrl = process.env.RAMPART_TEST_PG_URL;
export const redisUrl = process.env.RAMPART_TEST_REDIS_URL;

/** Which storage a test server runs on. */
export type ServerBackend = 'sqlite' | 'postgres';

/**
 * The backends every end-to-end suite runs on: `describe.each(SERVER_BACKENDS)`. SQLite with in-memory counters (the
 * embedded default), and PostgreSQL with Redis (the several-instances deployment) — skipped by name without
 * RAMPART_TEST_PG_URL and RAMPART_TEST_REDIS_URL (`.ci/run` sets both).
 */
export const SERVER_BACKENDS: readonly { readonly name: string; readonly backend: ServerBackend; readonly skip: boolean }[] = [
  { name: 'SQLite', backend: 'sqlite', skip: false },
  { name: 'PostgreSQL + Redis (needs RAMPART_TEST_PG_URL and RAMPART_TEST_REDIS_URL)', backend: 'postgres', skip: pgUrl === undefined || redisUrl === undefined },
];

export interface TestServerOptions {
  readonly backend?: ServerBackend;
  /** Extra `RAMPART_*` settings. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * The host name of the public URL browsers use (the CSRF origin, the WebAuthn RP ID). Default `127.0.0.1`;
   * `localhost` for WebAuthn, whose RP ID must be a domain, not an IP address.
   */
  readonly publicHost?: '127.0.0.1' | 'localhost';
  /** Start time of the manual clock. Default 2026-03-01T00:00:00Z. */
  readonly startAt?: number;
  /** Where the server's JSON log lines go (set `RAMPART_LOG_LEVEL` in `env` for more than warnings). Default: dropped. */
  readonly logDestination?: LogDestination;
}

/** A running server, its clock, the mail it sent and the security events it emitted. */
export interface TestServer {
  readonly server: RampartServer;
  /** `http://127.0.0.1:<port>` (or `localhost`), also the server's public URL and so the origin the CSRF guard accepts. */
  readonly url: string;
  readonly clock: ManualClock;
  readonly mails: OutgoingMail[];
  /** Every event the hub received, in order. */
  readonly events: SecurityEvent[];
  /** Delivers queued mail now and returns the last mail sent to `to` (throws if there is none). */
  lastMailTo(to: string): Promise<OutgoingMail>;
  close(): Promise<void>;
}

/** A free loopback port: the server's public URL (and so the allowed CSRF origin) must be known before it listens. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => { resolve(port); });
    });
  });
}

// Argon2id at the lowest cost the hasher accepts when told to: a suite runs hundreds of logins.
const testHasher = () => createPasswordHasher({ memoryCost: 1024, timeCost: 1, allowWeakParameters: true });

/** Starts a server for one test file (or one test); `close()` stops it and removes its data. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const backend = options.backend ?? 'sqlite';
  const cwd = mkdtempSync(join(tmpdir(), 'rampart-e2e-'));
  const dataDir = join(cwd, '.rampart');
  ensureDataDir(dataDir);
  const port = await freePort();
  const url = `http://${options.publicHost ?? '127.0.0.1'}:${port}`;
  const env: Record<string, string> = {
    RAMPART_PORT: String(port),
    RAMPART_DATA_DIR: dataDir,
    RAMPART_PUBLIC_URL: url,
    RAMPART_LOG_LEVEL: 'warn',
    ...options.env,
  };
  let dropSchema: (() => Promise<void>) | undefined;
  if (backend === 'postgres') {
    if (pgUrl === undefined) throw new Error('RAMPART_TEST_PG_URL is not set');
    const schema = await createTestSchema(pgUrl, 'e2e');
    env.RAMPART_DATABASE_URL = schema.url;
    if (redisUrl !== undefined) {
      env.RAMPART_REDIS_URL = redisUrl;
      // Its own key prefix: suites running at once on one Redis must not share rate-limit counters.
      env.RAMPART_REDIS_KEY_PREFIX = `e2e-${process.pid}-${Date.now().toString(36)}-${Math.floor(performance.now() * 1000).toString(36)}`;
    }
    dropSchema = schema.drop;
  }
  const config = loadConfig({ env, cwd });
  const clock = new ManualClock(options.startAt ?? Date.UTC(2026, 2, 1));
  const mails: OutgoingMail[] = [];
  const events: SecurityEvent[] = [];
  const server = await createServer(config, {
    hasher: testHasher(),
    clock,
    mail: {
      send: (mail) => {
        mails.push(mail);
        return Promise.resolve();
      },
    },
    logDestination: options.logDestination ?? { write: () => undefined },
    observeEvents: (event) => {
      events.push(event);
    },
  });
  await server.listen();
  return {
    server,
    url,
    clock,
    mails,
    events,
    async lastMailTo(to) {
      // A delivery the request started may still be sending: let it finish, then send what is left.
      await server.accounts.outbox.idle();
      await server.accounts.outbox.deliverPending();
      const mail = mails.filter((m) => m.to === to).at(-1);
      if (mail === undefined) throw new Error(`no mail to ${to}`);
      return mail;
    },
    async close() {
      await server.close();
      await dropSchema?.();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}
