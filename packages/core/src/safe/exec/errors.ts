import { RampartError } from '../../errors.js';

/** Stable codes of the errors the runner throws. Part of the public API. */
export type ExecErrorCode =
  | 'PROGRAM_NOT_ALLOWED'
  | 'ARGUMENT_INJECTION'
  | 'INPUT_TOO_LARGE'
  | 'SPAWN_FAILED'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'OUTPUT_TOO_LARGE'
  | 'NON_ZERO_EXIT';

const PREVIEW_CHARS = 40;

/**
 * A short, escaped form of a refused value for developers' logs: at most 40 characters, JSON-escaped so control
 * characters, NUL bytes and line breaks show as `\n`, `\u0000`, … and cannot forge log lines. Never put it in a
 * response: it is still attacker input.
 */
export function previewValue(value: unknown): string {
  if (typeof value !== 'string') return `<${value === null ? 'null' : typeof value}>`;
  return JSON.stringify(value.length > PREVIEW_CHARS ? `${value.slice(0, PREVIEW_CHARS)}…` : value);
}

/**
 * Base of every refusal and failure of the runner. `program` is the allowlisted name (trusted: it comes from the
 * runner's configuration, never from the request), so messages may name it; they never contain an argument, the
 * input, or the program's output.
 */
export class ExecError<Code extends ExecErrorCode = ExecErrorCode> extends RampartError<Code> {
  /** The allowlisted program name, or `undefined` when the refused name was not on the allowlist. */
  readonly program: string | undefined;

  constructor(code: Code, program: string | undefined, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.program = program;
  }
}

/**
 * Thrown when `run()` names a program that is not on the runner's allowlist: a path (`/bin/sh`, `../x`), a name
 * looked up on `PATH`, or an inherited property name (`__proto__`, `constructor`). The refused name is only in
 * {@link ProgramNotAllowedError.preview}.
 */
export class ProgramNotAllowedError extends ExecError<'PROGRAM_NOT_ALLOWED'> {
  /** Escaped, truncated form of the refused name, for developers' logs only. */
  readonly preview: string;

  constructor(requested: unknown) {
    super('PROGRAM_NOT_ALLOWED', undefined, 'exec: the program is not on this runner’s allowlist');
    this.preview = previewValue(requested);
  }
}

/** Why an argument was refused. Stable, safe to log. */
export type ArgumentRefusal = 'option_like' | 'nul_byte' | 'line_break' | 'not_a_string' | 'invalid_option_name';

const REFUSAL_MESSAGES: Readonly<Record<ArgumentRefusal, string>> = {
  option_like: 'is an untrusted value that starts with "-" before "--"; a program would read it as an option',
  nul_byte: 'contains a NUL byte, which would truncate it in the program (C strings end at NUL)',
  line_break: 'is an untrusted value that contains a line break (CR or LF); allow it by name where it is expected',
  not_a_string: 'is not a string',
  invalid_option_name: 'is an option() whose name is not a long option ("--name")',
};

/**
 * Thrown before anything is spawned when an argument could change what the program does rather than what it works
 * on: an untrusted operand that starts with `-` before `--` (`--upload-pack=…`, `-oProxyCommand=…`, `-exec`), a NUL
 * byte anywhere, a line break in an untrusted value, or a value that is not a string.
 */
export class ArgumentInjectionError extends ExecError<'ARGUMENT_INJECTION'> {
  readonly reason: ArgumentRefusal;
  /** Position of the refused element in the `args` array given to `run()`. */
  readonly index: number;
  /** Escaped, truncated form of the refused value, for developers' logs only. */
  readonly preview: string;

  constructor(program: string, reason: ArgumentRefusal, index: number, value: unknown) {
    super('ARGUMENT_INJECTION', program, `exec: argument ${index} for "${program}" ${REFUSAL_MESSAGES[reason]}`);
    this.reason = reason;
    this.index = index;
    this.preview = previewValue(value);
  }
}

/** Thrown before spawning when the stdin input is larger than `maxInputBytes`. */
export class InputTooLargeError extends ExecError<'INPUT_TOO_LARGE'> {
  readonly limit: number;

  constructor(program: string, limit: number) {
    super('INPUT_TOO_LARGE', program, `exec: input for "${program}" is larger than ${limit} bytes`);
    this.limit = limit;
  }
}

/**
 * Thrown when the operating system refuses to start the program (it was removed or made non-executable after the
 * runner was built, the argument list is too long, …). `cause` holds the system error.
 */
export class SpawnFailedError extends ExecError<'SPAWN_FAILED'> {
  /** The system error code (`ENOENT`, `EACCES`, `E2BIG`, …), when there is one. */
  readonly systemCode: string | undefined;

  constructor(program: string, cause: unknown) {
    const systemCode = cause instanceof Error && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
    super('SPAWN_FAILED', program, `exec: "${program}" could not be started${systemCode === undefined ? '' : ` (${systemCode})`}`, { cause });
    this.systemCode = systemCode;
  }
}

/** How the runner ended a process it had to stop. */
export interface Termination {
  /** The signal that ended the process, `null` if it exited on its own while being stopped. */
  readonly signal: NodeJS.Signals | null;
  readonly exitCode: number | null;
}

/**
 * Thrown when the program ran longer than `timeoutMs`. Its whole process group was sent SIGTERM, then SIGKILL after
 * the grace period, so a hung program or a grandchild it started cannot hold resources on after the call.
 */
export class ExecTimeoutError extends ExecError<'TIMEOUT'> implements Termination {
  readonly timeoutMs: number;
  readonly signal: NodeJS.Signals | null;
  readonly exitCode: number | null;

  constructor(program: string, timeoutMs: number, ended: Termination) {
    super('TIMEOUT', program, `exec: "${program}" ran longer than ${timeoutMs} ms and was stopped`);
    this.timeoutMs = timeoutMs;
    this.signal = ended.signal;
    this.exitCode = ended.exitCode;
  }
}

/** Thrown when the caller's `AbortSignal` fired; the process group was stopped as on a timeout. */
export class ExecAbortedError extends ExecError<'ABORTED'> implements Termination {
  readonly signal: NodeJS.Signals | null;
  readonly exitCode: number | null;

  constructor(program: string, ended: Termination, cause: unknown) {
    super('ABORTED', program, `exec: "${program}" was aborted by the caller and was stopped`, { cause });
    this.signal = ended.signal;
    this.exitCode = ended.exitCode;
  }
}

/**
 * Thrown when the program wrote more than `maxOutputBytes` to stdout or to stderr. The process group was stopped at
 * once: output is never buffered past the limit, so a runaway or hostile program cannot exhaust the server's memory.
 */
export class OutputTooLargeError extends ExecError<'OUTPUT_TOO_LARGE'> implements Termination {
  readonly stream: 'stdout' | 'stderr';
  readonly limit: number;
  readonly signal: NodeJS.Signals | null;
  readonly exitCode: number | null;

  constructor(program: string, stream: 'stdout' | 'stderr', limit: number, ended: Termination) {
    super('OUTPUT_TOO_LARGE', program, `exec: "${program}" wrote more than ${limit} bytes to ${stream} and was stopped`);
    this.stream = stream;
    this.limit = limit;
    this.signal = ended.signal;
    this.exitCode = ended.exitCode;
  }
}

/**
 * Thrown when the program exited with a code outside `allowExitCodes` (default `[0]`) or was killed by a signal the
 * runner did not send. Failing closed keeps a failed `git push` or `convert` from being treated as a success. The
 * output is kept on the error for developers; the message never contains it (it may echo attacker input).
 */
export class NonZeroExitError extends ExecError<'NON_ZERO_EXIT'> implements Termination {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;

  constructor(program: string, ended: Termination, stdout: Buffer, stderr: Buffer) {
    const how = ended.signal === null ? `exited with code ${ended.exitCode ?? 'unknown'}` : `was killed by ${ended.signal}`;
    super('NON_ZERO_EXIT', program, `exec: "${program}" ${how}`);
    this.exitCode = ended.exitCode;
    this.signal = ended.signal;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}
