import { accessSync, constants, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize } from 'node:path';
import { ConfigurationError } from '../../errors.js';

/**
 * Directories searched for programs given by bare name, when the runner names none. Fixed, never `process.env.PATH`:
 * a PATH an attacker can prepend to (a writable directory, a `.env` file, a compromised parent) decides which binary
 * runs. `/usr/local/bin` is left out on purpose: on many systems it is writable without root.
 */
export const DEFAULT_SEARCH_PATH: readonly string[] = Object.freeze(process.platform === 'win32' ? [] : ['/usr/bin', '/bin']);

/** A bare program name: no path separator, no `..`, no leading `-` or `.`. */
const PROGRAM_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

/**
 * Windows runs `.bat` / `.cmd` files through `cmd.exe`, which re-parses the whole command line with its own quoting
 * rules, so arguments become shell input again (BatBadBut, CVE-2024-27980 in Node, CVE-2024-24576 in Rust). Windows
 * also ignores trailing dots and spaces in a file name, so `x.bat.` and `x.cmd ` are the same files.
 */
const BATCH_FILE = /\.(?:bat|cmd)[\s.]*$/i;

/**
 * Programs whose job is to run a command line: shells, and launchers that run their arguments as a program. Allowing
 * one hands the shell back to whoever controls an argument (`sh -c …`, `env VAR=x other`, `xargs …`).
 */
const SHELL_PROGRAMS: ReadonlySet<string> = new Set([
  'sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'ksh93', 'mksh', 'pdksh', 'csh', 'tcsh', 'fish', 'rbash', 'busybox', 'toybox',
  'cmd', 'powershell', 'pwsh',
  'env', 'xargs', 'sudo', 'doas', 'su', 'nohup', 'nice', 'ionice', 'setsid', 'stdbuf', 'timeout', 'watch', 'chroot', 'script', 'flock', 'runuser',
]);

/** Where each allowlisted name leads. */
export type ProgramTable<P extends string> = Readonly<Record<P, string>> | readonly P[];

export interface ResolveProgramsOptions {
  readonly searchPath: readonly string[];
  /** Named loosening: allow shells and command launchers (`sh`, `bash`, `env`, `xargs`, `sudo`, …). */
  readonly allowShellPrograms: boolean;
}

function commandName(file: string): string {
  return basename(file).toLowerCase().replace(/\.exe$/, '');
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function verifyAbsolute(what: string, file: unknown): string {
  if (typeof file !== 'string' || !isAbsolute(file) || normalize(file) !== file || file.includes('\0')) {
    throw new ConfigurationError(`exec: ${what} must be an absolute, normalized path`);
  }
  return file;
}

/** World-writable (and, for a directory, without the sticky bit): anyone on the machine can replace the program. */
function replaceableByOthers(stats: Stats, isDirectory: boolean): boolean {
  const worldWritable = (stats.mode & 0o002) !== 0;
  return isDirectory ? worldWritable && (stats.mode & 0o1000) === 0 : worldWritable;
}

function verifyProgram(name: string, file: string, options: ResolveProgramsOptions): string {
  if (BATCH_FILE.test(file)) {
    throw new ConfigurationError(`exec: program "${name}" is a .bat/.cmd file; cmd.exe would re-parse its arguments (CVE-2024-27980)`);
  }
  let real: string;
  let stats: Stats;
  try {
    real = realpathSync(file);
    stats = statSync(real);
  } catch (error) {
    throw new ConfigurationError(`exec: program "${name}" does not exist`, { cause: error });
  }
  if (!stats.isFile()) throw new ConfigurationError(`exec: program "${name}" is not a regular file`);
  if (BATCH_FILE.test(real)) {
    throw new ConfigurationError(`exec: program "${name}" resolves to a .bat/.cmd file; cmd.exe would re-parse its arguments (CVE-2024-27980)`);
  }
  if (!isExecutableFile(real)) throw new ConfigurationError(`exec: program "${name}" is not executable`);
  if (process.platform !== 'win32') {
    if (replaceableByOthers(stats, false)) throw new ConfigurationError(`exec: program "${name}" is writable by any user`);
    if (replaceableByOthers(statSync(dirname(real)), true)) {
      throw new ConfigurationError(`exec: program "${name}" is in a directory where any user can replace it`);
    }
  }
  if (!options.allowShellPrograms && (SHELL_PROGRAMS.has(commandName(file)) || SHELL_PROGRAMS.has(commandName(real)))) {
    throw new ConfigurationError(
      `exec: program "${name}" is a shell or command launcher; it would run its arguments as commands (allowShellPrograms to loosen)`,
    );
  }
  return file;
}

function verifyName(name: unknown): string {
  if (typeof name !== 'string' || !PROGRAM_NAME.test(name)) {
    throw new ConfigurationError('exec: program names must be bare names (letters, digits, ".", "_", "+", "-"), not paths');
  }
  return name;
}

function search(name: string, searchPath: readonly string[]): string {
  for (const directory of searchPath) {
    const candidate = join(directory, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new ConfigurationError(`exec: program "${name}" was not found in the runner's search path`);
}

/**
 * Resolves the allowlist once, when the runner is built: each name to an absolute path that exists, is a regular
 * executable file, is not replaceable by other users, is not a `.bat`/`.cmd` file and is not a shell (unless allowed
 * by name). Bare names are looked up in `searchPath` only, never in `process.env.PATH`, and never again at run time.
 *
 * Protects against PATH hijacking (a planted `git` earlier on PATH), against running a relative path from whatever
 * the working directory is, against BatBadBut (CVE-2024-27980) and against a shell sneaking back in as a "program".
 */
export function resolvePrograms<P extends string>(programs: ProgramTable<P>, options: ResolveProgramsOptions): ReadonlyMap<P, string> {
  for (const directory of options.searchPath) verifyAbsolute('every searchPath entry', directory);
  const entries: [string, string][] = Array.isArray(programs)
    ? programs.map((name: unknown) => {
        const bare = verifyName(name);
        return [bare, search(bare, options.searchPath)];
      })
    : Object.entries(programs as Readonly<Record<string, unknown>>).map(([name, file]) => {
        const bare = verifyName(name);
        return [bare, verifyAbsolute(`program "${bare}"`, file)];
      });
  if (entries.length === 0) throw new ConfigurationError('exec: a runner needs at least one program');
  const resolved = new Map<P, string>();
  for (const [name, file] of entries) resolved.set(name as P, verifyProgram(name, file, options));
  return resolved;
}
