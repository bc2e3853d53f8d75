import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServerConfigError } from './config/errors.js';

/** Where the development key lives inside the data directory. */
export const DEV_KEK_FILE = 'dev-kek.key';

/**
 * Creates the data directory owner-only (0700): it holds the SQLite database, the audit trail and, in development, a
 * key. An existing directory that others can read or write is refused rather than silently used.
 */
export function ensureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new ServerConfigError('CONFIG_INVALID', `data directory ${dir} is accessible to other users (mode ${mode.toString(8)}): chmod 700 it`);
}

/** What {@link developmentKek} did, so the caller can warn once. */
export interface DevelopmentKek {
  readonly key: Buffer;
  readonly path: string;
  readonly created: boolean;
}

/**
 * The development key-encryption key: read from, or generated into, `<dataDir>/dev-kek.key` with mode 0600. Only for
 * development — production refuses to start without RAMPART_KEK (loadConfig) — so a laptop works with no setup while
 * a key on disk next to the data it protects never reaches production. A key file others can read is refused.
 */
export function developmentKek(dataDir: string): DevelopmentKek {
  const path = join(dataDir, DEV_KEK_FILE);
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) throw new ServerConfigError('CONFIG_KEK_INVALID', `${path} is readable by other users (mode ${mode.toString(8)}): chmod 600 it`);
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url');
    if (key.length < 32) throw new ServerConfigError('CONFIG_KEK_INVALID', `${path} does not hold a 32-byte key`);
    return { key, path, created: false };
  }
  const key = randomBytes(32);
  writeFileSync(path, `${key.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600); // the umask cannot widen it, but make the intent explicit
  return { key, path, created: true };
}
