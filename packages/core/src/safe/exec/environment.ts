import { delimiter } from 'node:path';
import { ConfigurationError } from '../../errors.js';

/** The child's environment: nothing from `process.env` unless named. */
export interface EnvironmentOptions {
  /**
   * Names copied from `process.env` when the runner is built (absent ones are skipped). Naming `PATH` here replaces
   * the default `PATH` (the runner's search path) with the server's own.
   */
  readonly inherit?: readonly string[];
  /** Explicit values; they win over inherited ones. */
  readonly set?: Readonly<Record<string, string>>;
}

/** POSIX portable environment names (IEEE Std 1003.1, 8.1): letters, digits, underscore, not starting with a digit. */
const ENVIRONMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function verifyName(name: unknown): string {
  if (typeof name !== 'string' || !ENVIRONMENT_NAME.test(name)) {
    throw new ConfigurationError('exec: environment variable names must be letters, digits and "_", not starting with a digit');
  }
  return name;
}

function verifyValue(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.includes('\0')) {
    throw new ConfigurationError(`exec: environment variable "${name}" must be a string without NUL bytes`);
  }
  return value;
}

/**
 * Builds the fixed environment every run of a runner gets: `PATH` set to the trusted search path, then the
 * variables named in `inherit` (copied once, now), then `set`.
 *
 * Protects against leaking the server's secrets (database URLs, API keys, cloud credentials in `process.env`) to a
 * program that logs, crashes with a dump, or is made to print its environment, and against environment-driven code
 * execution inherited by accident (`LD_PRELOAD`, `NODE_OPTIONS`, `GIT_SSH_COMMAND`, `BASH_ENV`, a hostile `PATH`).
 */
export function buildEnvironment(options: EnvironmentOptions | undefined, searchPath: readonly string[]): Readonly<Record<string, string>> {
  const entries = new Map<string, string>();
  if (searchPath.length > 0) entries.set('PATH', searchPath.join(delimiter));
  for (const name of options?.inherit ?? []) {
    const value = process.env[verifyName(name)];
    if (value !== undefined) entries.set(name, verifyValue(name, value));
  }
  for (const [name, value] of Object.entries(options?.set ?? {})) entries.set(verifyName(name), verifyValue(name, value));
  // fromEntries defines own data properties, so even a name like "__proto__" stays a plain variable.
  return Object.freeze(Object.fromEntries(entries));
}
