import { statSync } from 'node:fs';
import { isAbsolute, normalize } from 'node:path';
import { ConfigurationError } from '../../errors.js';
import { toArgv, type Argument, type CheckedArguments } from './arguments.js';
import { runChild } from './child.js';
import { buildEnvironment, type EnvironmentOptions } from './environment.js';
import { InputTooLargeError, NonZeroExitError, ProgramNotAllowedError } from './errors.js';
import { DEFAULT_SEARCH_PATH, resolvePrograms, type ProgramTable } from './programs.js';

/** Default time a program may run: 10 s. */
export const DEFAULT_EXEC_TIMEOUT_MS = 10_000;
/** Default time between SIGTERM and SIGKILL when the runner stops a program: 2 s. */
export const DEFAULT_KILL_GRACE_MS = 2_000;
/** Default limit on stdout, and separately on stderr: 1 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1_048_576;
/** Default limit on stdin input: 1 MiB. */
export const DEFAULT_MAX_INPUT_BYTES = 1_048_576;

/** Largest delay `setTimeout` honours (2^31 − 1 ms); a larger one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;
const MAX_BUFFER_BYTES = 1_073_741_824;

export interface RunnerOptions<P extends string> {
  /**
   * The allowlist. Either names mapped to absolute paths (`{ git: '/usr/bin/git' }`), or bare names looked up once in
   * `searchPath` (`['git', 'convert']`). Every path is checked now: absolute, a regular executable file, not
   * world-replaceable, not `.bat`/`.cmd`, not a shell or command launcher.
   */
  readonly programs: ProgramTable<P>;
  /** Trusted directories for bare names, and the child's default `PATH`. Default `['/usr/bin', '/bin']`. */
  readonly searchPath?: readonly string[];
  /** The fixed working directory of every run: absolute, existing. Required: there is no safe guess. */
  readonly cwd: string;
  /** The child's environment. Default: only `PATH` (the search path), nothing from `process.env`. */
  readonly env?: EnvironmentOptions;
  /** Milliseconds a run may take before its process group is stopped. Default 10 000. */
  readonly timeoutMs?: number;
  /** Milliseconds between SIGTERM and SIGKILL when stopping. Default 2 000. */
  readonly killGraceMs?: number;
  /** Bytes a run may write to stdout, and separately to stderr. Default 1 MiB. */
  readonly maxOutputBytes?: number;
  /** Bytes of stdin input a run may be given. Default 1 MiB. */
  readonly maxInputBytes?: number;
  /** Named loosening: allow shells and command launchers (`sh`, `bash`, `env`, `xargs`, `sudo`, …) as programs. */
  readonly allowShellPrograms?: boolean;
}

/** How `run()` returns the output: decoded as UTF-8 (default) or as raw bytes. */
export type OutputEncoding = 'utf8' | 'buffer';

export interface RunOptions<E extends OutputEncoding = 'utf8'> {
  /** Written to the program's stdin, then closed. Without it stdin is closed at once (the program reads EOF). */
  readonly input?: string | Uint8Array;
  readonly encoding?: E;
  /** Exit codes that count as success. Default `[0]`; `[0, 1]` for `grep` (1 = no match). */
  readonly allowExitCodes?: readonly number[];
  /** Stops the run (its whole process group) when aborted, e.g. when the HTTP client went away. */
  readonly signal?: AbortSignal;
}

/** A successful run. A run killed by a signal is never a success: it is a `NON_ZERO_EXIT` error carrying the signal. */
export interface RunResult<Output extends string | Buffer> {
  readonly stdout: Output;
  readonly stderr: Output;
  readonly exitCode: number;
}

/** Runs allowlisted programs. Build one per set of programs with {@link createRunner}, reuse it for every call. */
export interface Runner<P extends string> {
  /** The allowlist as resolved at build time: name → absolute path. A copy; changing it changes nothing. */
  readonly programs: ReadonlyMap<P, string>;
  /**
   * Runs `program` with `args` and no shell. Literal strings in `args` are trusted; request data goes in
   * `operand()` (refused if it starts with `-` before a `--`) or `option('--name', value)`.
   */
  run<const A extends readonly Argument[], E extends OutputEncoding = 'utf8'>(
    program: P,
    args: A & CheckedArguments<A>,
    options?: RunOptions<E>,
  ): Promise<RunResult<E extends 'buffer' ? Buffer : string>>;
}

function wholeNumber(field: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`exec: ${field} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function verifyDirectory(cwd: unknown): string {
  if (typeof cwd !== 'string' || !isAbsolute(cwd) || normalize(cwd) !== cwd || cwd.includes('\0')) {
    throw new ConfigurationError('exec: cwd must be an absolute, normalized path');
  }
  let isDirectory = false;
  try {
    isDirectory = statSync(cwd).isDirectory();
  } catch (error) {
    throw new ConfigurationError('exec: cwd does not exist', { cause: error });
  }
  if (!isDirectory) throw new ConfigurationError('exec: cwd is not a directory');
  return cwd;
}

function verifyExitCodes(codes: readonly number[] | undefined): readonly number[] {
  if (codes === undefined) return [0];
  const list: unknown = codes;
  if (!Array.isArray(list) || !list.every((code) => Number.isSafeInteger(code))) {
    throw new ConfigurationError('exec: allowExitCodes must be a list of whole numbers');
  }
  return codes;
}

function encodeInput(program: string, input: string | Uint8Array | undefined, limit: number): Buffer | undefined {
  if (input === undefined) return undefined;
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (bytes.length > limit) throw new InputTooLargeError(program, limit);
  return bytes;
}

/**
 * Builds a runner for a fixed set of programs, resolved and verified now, with a fixed working directory, a minimal
 * environment, and limits on time, output and input.
 *
 * Protects against OS command injection (CWE-78: no shell, ever — `$(…)`, backticks, `;`, `|`, `&&`, redirections,
 * globs, `~` and `$VAR` reach the program as plain bytes), argument injection (CWE-88: see `operand()`), running an
 * unintended binary (no PATH lookup at run time, no paths from callers, no `.bat`/`.cmd`, no shells), leaking the
 * server's environment, and resource exhaustion or orphaned processes (timeouts and output caps stop the whole
 * process group).
 */
export function createRunner<const P extends string>(options: RunnerOptions<P>): Runner<P> {
  const searchPath = options.searchPath ?? DEFAULT_SEARCH_PATH;
  const allowShellPrograms = options.allowShellPrograms === true;
  const programs = resolvePrograms(options.programs, { searchPath, allowShellPrograms });
  const cwd = verifyDirectory(options.cwd);
  const env = buildEnvironment(options.env, searchPath);
  const timeoutMs = wholeNumber('timeoutMs', options.timeoutMs, DEFAULT_EXEC_TIMEOUT_MS, 1, MAX_TIMER_MS);
  const killGraceMs = wholeNumber('killGraceMs', options.killGraceMs, DEFAULT_KILL_GRACE_MS, 0, MAX_TIMER_MS);
  const maxOutputBytes = wholeNumber('maxOutputBytes', options.maxOutputBytes, DEFAULT_MAX_OUTPUT_BYTES, 0, MAX_BUFFER_BYTES);
  const maxInputBytes = wholeNumber('maxInputBytes', options.maxInputBytes, DEFAULT_MAX_INPUT_BYTES, 0, MAX_BUFFER_BYTES);

  async function run(program: unknown, args: readonly unknown[], runOptions: RunOptions<OutputEncoding> = {}): Promise<RunResult<string | Buffer>> {
    const file = typeof program === 'string' ? programs.get(program as P) : undefined;
    if (file === undefined || typeof program !== 'string') throw new ProgramNotAllowedError(program);
    const argv = toArgv(program, args);
    const input = encodeInput(program, runOptions.input, maxInputBytes);
    const allowExitCodes = verifyExitCodes(runOptions.allowExitCodes);
    const exit = await runChild({ program, file, argv, cwd, env, input, timeoutMs, killGraceMs, maxOutputBytes, signal: runOptions.signal });
    if (exit.signal !== null || exit.exitCode === null || !allowExitCodes.includes(exit.exitCode)) {
      throw new NonZeroExitError(program, exit, exit.stdout, exit.stderr);
    }
    const buffers = runOptions.encoding === 'buffer';
    return {
      stdout: buffers ? exit.stdout : exit.stdout.toString('utf8'),
      stderr: buffers ? exit.stderr : exit.stderr.toString('utf8'),
      exitCode: exit.exitCode,
    };
  }

  return Object.freeze({
    get programs(): ReadonlyMap<P, string> {
      return new Map(programs);
    },
    run: run as Runner<P>['run'],
  });
}
