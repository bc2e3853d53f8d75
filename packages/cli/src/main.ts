import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { verify } from '@rampart/core/audit';
import { systemClock } from '@rampart/core';
import { createPasswordHasher } from '@rampart/core/password';
import {
  DEV_KEK_FILE,
  auditPublicKeys,
  createAdministrator,
  createServer,
  developmentKek,
  ensureDataDir,
  isLoginAddress,
  loadConfig,
  migrateToLatest,
  openAuditTrails,
  openDatabase,
  recordUnreported,
  type ServerConfig,
  type ServerNotice,
} from '@rampart/server';
import pg from 'pg';
import { clients, isClientsCommand } from './clients.js';
import { keys } from './keys.js';
import { isReviewCommand, reviewCommand } from './review.js';

/** Where the command writes; the process's streams by default, buffers in tests. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Resolves when the process is asked to stop (SIGTERM, SIGINT); `serve` shuts down gracefully then. */
  readonly stopSignal: Promise<string>;
}

const USAGE = `usage: rampart <command> [--config <file>]

commands:
  serve           run the server (127.0.0.1:8080 and ./.rampart by default)
  migrate         bring the database schema to this version
  config check    load and validate the configuration, print where each setting came from
  audit verify    check the audit trail's chain, tree and signed checkpoints
  keys rotate     publish a new JWT signing key (next), promote it when every verifier can have it, retire old ones
                  (--promote: only promote a due next key, exit 1 when none is due)
  keys list       the signing keys that are not retired: active, next, retiring
  admin create    --email <address> [--promote]: create an administrator (or, with --promote, make an existing
                  account one) with a one-time password, printed once to stderr; it must be changed at first sign-in
  clients         create | list | show | update | rotate-secret | delete: OAuth clients (rampart clients --help)
  review          [paths…] find injection and other vulnerabilities in TypeScript/JavaScript code by following
                  untrusted input across files; text, JSON or SARIF; baselines; --fix for mechanical fixes
                  (rampart review --help)

settings: rampart.config.yaml (or --config / RAMPART_CONFIG) and RAMPART_* variables; the key-encryption key only
from RAMPART_KEK. Exit codes: 0 ok, 1 the check failed (audit verify), the step is not due (keys rotate --promote) or
the address has an account and --promote was not given (admin create), no such client or a stale --if-version
(clients), findings at or above --severity (review), 2 a usage or configuration error.`;

function notice(io: CliIo, event: ServerNotice): void {
  // The one-time password goes to the operator's terminal once, never to stdout (which is often shipped as a log).
  if (event.kind === 'admin-created') io.err(`rampart: first start: administrator ${event.email} created; one-time password (shown once, must be changed at first sign-in): ${event.password}`);
  else if (event.kind === 'dev-kek-created') io.err(`rampart: WARNING development key generated at ${event.path} (mode 0600); set RAMPART_KEK in production`);
  else io.err(`rampart: WARNING using the development key at ${event.path}; set RAMPART_KEK in production`);
}

function config(io: CliIo, file: string | undefined): ServerConfig {
  return loadConfig({ env: io.env, cwd: io.cwd, ...(file === undefined ? {} : { file }) });
}

async function serve(io: CliIo, file: string | undefined): Promise<number> {
  const settings = config(io, file);
  ensureDataDir(settings.dataDir);
  const server = await createServer(settings, { notify: (event) => { notice(io, event); } });
  const url = await server.listen();
  io.out(`rampart listening on ${url} (${settings.env}, ${server.database.kind}, data in ${settings.dataDir})`);
  const signal = await io.stopSignal;
  io.err(`rampart: ${signal}: shutting down`);
  await server.close();
  io.err('rampart: stopped (final audit checkpoint signed)');
  return 0;
}

async function migrate(io: CliIo, file: string | undefined): Promise<number> {
  const settings = config(io, file);
  ensureDataDir(settings.dataDir);
  const database = openDatabase(settings);
  try {
    const result = await migrateToLatest(database.db);
    const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    io.out(applied.length === 0 ? 'rampart: database already at the latest version' : `rampart: applied ${applied.join(', ')}`);
    return 0;
  } finally {
    await database.close();
  }
}

function configCheck(io: CliIo, file: string | undefined): number {
  const settings = config(io, file);
  const from = (key: string): string => settings.sources[key] ?? 'default';
  io.out(`env               ${settings.env} (${from('env')})`);
  io.out(`listen            ${settings.listen.host}:${settings.listen.port} (${from('listen.host')}/${from('listen.port')})`);
  io.out(`dataDir           ${settings.dataDir} (${from('dataDir')})`);
  io.out(`database          ${settings.databaseUrl === undefined ? 'SQLite in the data directory' : 'PostgreSQL (RAMPART_DATABASE_URL)'}`);
  io.out(`redis             ${settings.redisUrl === undefined ? 'none (in-memory counters)' : 'configured'}`);
  io.out(`key-encryption    ${settings.keyEncryptionKey === undefined ? 'development key in the data directory' : 'RAMPART_KEK'}`);
  io.out(`publicUrl         ${settings.publicUrl ?? `http://${settings.listen.host}:${settings.listen.port} (derived)`}`);
  io.out(`log level         ${settings.log.level} (${from('log.level')})`);
  io.out(`metrics           ${settings.metrics === undefined ? 'no listener' : `${settings.metrics.host}:${settings.metrics.port}`}`);
  io.out('configuration ok');
  return 0;
}

async function auditVerify(io: CliIo, file: string | undefined): Promise<number> {
  const settings = config(io, file);
  // Checking must not create anything: without RAMPART_KEK, only an existing development key will do.
  if (settings.keyEncryptionKey === undefined && !existsSync(join(settings.dataDir, DEV_KEK_FILE))) {
    io.err(`rampart: no key to check the trail with: set RAMPART_KEK (no development key in ${settings.dataDir})`);
    return 2;
  }
  const kek = settings.keyEncryptionKey ?? developmentKek(settings.dataDir).key;
  const pool = settings.databaseUrl === undefined ? undefined : new pg.Pool({ connectionString: settings.databaseUrl, max: 2 });
  // Every instance's trail (one on SQLite); the command fails when any of them fails.
  const trails = await openAuditTrails(settings, pool);
  try {
    if (trails.length === 0) {
      io.out('audit trail: none yet (no server has started on this database)');
      return 0;
    }
    let failed = false;
    for (const { instanceId, store } of trails) {
      const name = trails.length === 1 && instanceId === 'main' ? 'audit trail' : `audit trail ${instanceId}`;
      const result = await verify(store, { publicKey: auditPublicKeys(kek) });
      if (result.ok) {
        io.out(`${name} ok: ${result.entries} entries, ${result.checkpoints} signed checkpoints`);
      } else {
        failed = true;
        io.out(`${name} FAILED at ${result.position}: ${result.problem} — ${result.detail}`);
      }
    }
    return failed ? 1 : 0;
  } finally {
    for (const { store } of trails) await store.close();
    await pool?.end();
  }
}

/**
 * `rampart admin create --email <address> [--promote]`: an administrator with a one-time password, on the database
 * the configuration names (opened and migrated as `serve` opens it). The password is printed once, to stderr; the
 * account must change it at first sign-in. An address that has an account is promoted only with `--promote` (its
 * sessions and refresh tokens then end). The creation reaches the audit trail at the next server start (a running
 * server is the trail's only writer).
 *
 * Protects against: a server locked out of its administration (the break-glass path needs database access, not a
 * session); silently taking over an existing account (`--promote` is explicit); a known or reused first password
 * (144 bits from the CSPRNG, stored as Argon2id only, replaced at first sign-in).
 */
async function adminCreate(io: CliIo, file: string | undefined, email: string | undefined, promote: boolean): Promise<number> {
  if (email === undefined || !isLoginAddress(email)) {
    io.err('rampart: admin create needs --email <address> (an address the login accepts: ASCII, a dotted domain)');
    return 2;
  }
  const settings = config(io, file);
  ensureDataDir(settings.dataDir);
  const database = openDatabase(settings);
  try {
    await migrateToLatest(database.db);
    const outcome = await createAdministrator({ database, hasher: createPasswordHasher(), clock: systemClock }, { email, how: 'cli', promote });
    if (outcome.kind === 'address_taken') {
      io.err(`rampart: ${email} already has an account; pass --promote to make it an administrator with a new one-time password`);
      return 1;
    }
    if (outcome.kind === 'not_needed') return 1;
    await recordUnreported(database, outcome, Date.now());
    const what = outcome.kind === 'created' ? 'created' : `promoted${outcome.unlocked ? ' (and unlocked)' : ''}; its sessions and refresh tokens ended`;
    io.out(`rampart: administrator ${outcome.email} ${what} (account ${outcome.userId})`);
    io.err(`rampart: one-time password (shown once, must be changed at first sign-in): ${outcome.password}`);
    return 0;
  } finally {
    await database.close();
  }
}

/**
 * Runs one `rampart` command and resolves with its exit code. Configuration and usage errors print one precise line
 * and exit 2; nothing prints a secret.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  if (isClientsCommand(argv)) {
    try {
      return await clients(argv, io, (file) => config(io, file));
    } catch (error) {
      return failed(io, error);
    }
  }
  if (isReviewCommand(argv)) {
    try {
      // The terminal's facts come from the process: colour and the progress bar only ever go to a real TTY.
      return await reviewCommand(argv, { ...io, stdoutIsTTY: process.stdout.isTTY, progress: process.stderr });
    } catch (error) {
      return failed(io, error);
    }
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' }, promote: { type: 'boolean' }, email: { type: 'string' } } });
  } catch (error) {
    io.err(`rampart: ${error instanceof Error ? error.message : String(error)}`);
    io.err(USAGE);
    return 2;
  }
  const file = typeof parsed.values.config === 'string' ? parsed.values.config : undefined;
  const command = parsed.positionals.join(' ');
  if (parsed.values.help === true || command === '' || command === 'help') {
    io.out(USAGE);
    return command === '' && parsed.values.help !== true ? 2 : 0;
  }
  try {
    switch (command) {
      case 'serve':
        return await serve(io, file);
      case 'migrate':
        return await migrate(io, file);
      case 'config check':
        return configCheck(io, file);
      case 'audit verify':
        return await auditVerify(io, file);
      case 'keys rotate':
        return await keys(io, config(io, file), { action: 'rotate', promote: parsed.values.promote === true });
      case 'keys list':
        return await keys(io, config(io, file), { action: 'list' });
      case 'admin create':
        return await adminCreate(io, file, typeof parsed.values.email === 'string' ? parsed.values.email : undefined, parsed.values.promote === true);
      default:
        io.err(`rampart: unknown command "${command}"`);
        io.err(USAGE);
        return 2;
    }
  } catch (error) {
    return failed(io, error);
  }
}

/** A configuration or runtime error: one line with its code, exit 2. */
function failed(io: CliIo, error: unknown): number {
  const code = typeof (error as { code?: unknown }).code === 'string' ? ` [${(error as { code: string }).code}]` : '';
  io.err(`rampart: ${error instanceof Error ? error.message : String(error)}${code}`);
  return 2;
}
