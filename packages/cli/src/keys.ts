import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEV_KEK_FILE, developmentKek, ensureDataDir, keyScheduleOf, migrateToLatest, openDatabase, serverKeyRing, SigningKeyStore, type PromoteOutcome, type ServerConfig } from '@rampart/server';

/** Where `keys` writes; a subset of the CLI's io. */
export interface KeysIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** What `rampart keys` was asked to do. */
export type KeysCommand = { readonly action: 'rotate'; readonly promote: boolean } | { readonly action: 'list' };

/**
 * `rampart keys rotate [--promote]` and `rampart keys list`, on the database the configuration names, opened and
 * migrated as `serve` opens it, with the KEK `serve` uses.
 *
 * `rotate` publishes a new signing key as *next* (servers put it in their JWKS within their reload interval; it does
 * not sign yet). Run again — or let any running server do it on its timer — once the key has been published for the
 * reload interval plus the JWKS cache lifetime, and it becomes the signer; the previous key keeps verifying until
 * every token it signed has expired, then is retired. `--promote` asks for the promotion only and fails (exit 1) when
 * it is not due: no verifier may see a token signed by a key it could not yet have fetched.
 *
 * Protects against: a rotation that breaks tokens in flight or is invisible to verifiers (the schedule above); keys
 * sealed with a KEK the servers do not have (the stored keys must open with this KEK before anything is written); a
 * development key created by a command that only manages keys (without RAMPART_KEK only an existing one is used).
 */
export async function keys(io: KeysIo, settings: ServerConfig, command: KeysCommand): Promise<number> {
  if (settings.keyEncryptionKey === undefined && !existsSync(join(settings.dataDir, DEV_KEK_FILE))) {
    io.err(`rampart: no key to seal signing keys with: set RAMPART_KEK (no development key in ${settings.dataDir})`);
    return 2;
  }
  ensureDataDir(settings.dataDir);
  const kek = settings.keyEncryptionKey ?? developmentKek(settings.dataDir).key;
  const database = openDatabase(settings);
  try {
    await migrateToLatest(database.db);
    const store = new SigningKeyStore(database, serverKeyRing(kek), keyScheduleOf());
    const now = Date.now();
    const first = await store.ensureActive(now, 'cli');
    if (first.created) io.out(`rampart: created the first signing key ${first.kid} (active)`);
    try {
      await store.load();
    } catch (error) {
      io.err(`rampart: the stored signing keys do not open with this key-encryption key: ${error instanceof Error ? error.message : String(error)}`);
      return 2;
    }
    if (command.action === 'list') {
      for (const key of await store.status()) {
        const due = key.dueAt === undefined ? '' : key.state === 'next' ? `  signs from ${iso(key.dueAt)}` : `  retires at ${iso(key.dueAt)}`;
        io.out(`${key.state.padEnd(8)} ${key.kid}  ${key.alg}  created ${iso(key.createdAt)}${due}`);
      }
      return 0;
    }
    const code = command.promote ? await promoteOnly(io, store, now) : await rotate(io, store, now);
    for (const kid of await store.retireDue(now, 'cli')) io.out(`rampart: retired ${kid} (every token it signed has expired)`);
    return code;
  } finally {
    await database.close();
  }
}

function promoted(io: KeysIo, outcome: Extract<PromoteOutcome, { status: 'promoted' }>): void {
  io.out(`rampart: ${outcome.kid} now signs`);
  if (outcome.previous !== undefined && outcome.previousRetiresAt !== undefined) {
    io.out(`rampart: ${outcome.previous} verifies until ${iso(outcome.previousRetiresAt)}, then is retired`);
  }
}

async function rotate(io: KeysIo, store: SigningKeyStore, now: number): Promise<number> {
  const outcome = await store.promote(now, 'cli');
  if (outcome.status === 'promoted') {
    promoted(io, outcome);
    return 0;
  }
  if (outcome.status === 'not_due') {
    io.out(`rampart: ${outcome.kid} is published and waits until ${iso(outcome.promotableAt)} to sign (verifiers' JWKS caches); nothing to do yet`);
    return 0;
  }
  if (outcome.status === 'raced') {
    io.out('rampart: another process changed the keys at the same moment; run the command again');
    return 1;
  }
  const staged = await store.stage(now, 'cli');
  io.out(
    staged.status === 'staged'
      ? `rampart: published ${staged.kid} as the next signing key; it signs from ${iso(staged.promotableAt)} (running servers promote it then, or run \`rampart keys rotate\` again)`
      : `rampart: ${staged.kid} is already published and waits until ${iso(staged.promotableAt)} to sign`,
  );
  return 0;
}

async function promoteOnly(io: KeysIo, store: SigningKeyStore, now: number): Promise<number> {
  const outcome = await store.promote(now, 'cli');
  switch (outcome.status) {
    case 'promoted':
      promoted(io, outcome);
      return 0;
    case 'none':
      io.out('rampart: no next key to promote: run `rampart keys rotate` first');
      return 1;
    case 'not_due':
      io.out(`rampart: refused: ${outcome.kid} may sign only from ${iso(outcome.promotableAt)}, when every verifier can have fetched it`);
      return 1;
    case 'raced':
      io.out('rampart: another process changed the keys at the same moment; run the command again');
      return 1;
  }
}
