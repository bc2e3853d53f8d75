import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import {
  ExecAbortedError,
  ExecTimeoutError,
  OutputTooLargeError,
  SpawnFailedError,
  type ExecError,
  type Termination,
} from './errors.js';

/** Everything one spawn needs, already validated by the runner. */
export interface ChildSpec {
  /** The allowlisted name, for error messages. */
  readonly program: string;
  /** Absolute path resolved when the runner was built. */
  readonly file: string;
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly input: Buffer | undefined;
  readonly timeoutMs: number;
  readonly killGraceMs: number;
  readonly maxOutputBytes: number;
  readonly signal: AbortSignal | undefined;
}

/** How the program ended on its own, with everything it wrote. */
export interface ChildExit extends Termination {
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

/**
 * POSIX: `detached` makes the child the leader of a new session and process group (setsid), so one
 * `kill(-pgid)` reaches every descendant that did not leave the group on purpose. Windows has no process groups
 * that `kill` can address; there only the child itself is signalled.
 */
const PROCESS_GROUPS = process.platform !== 'win32';

/** After the program exits, the least time given to read what it left in the pipes. */
const MIN_DRAIN_MS = 1_000;

/** Children still running, so that they die with this process instead of living on in their own session. */
const running = new Set<ChildProcessWithoutNullStreams>();
let exitHookInstalled = false;

function signalGroup(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): void {
  const pid = child.pid;
  if (pid === undefined) return;
  try {
    if (PROCESS_GROUPS) process.kill(-pid, signal);
    else child.kill(signal);
  } catch {
    // ESRCH: the group is already empty. EPERM: what is left changed user (a setuid program); nothing more we can do.
  }
}

function track(child: ChildProcessWithoutNullStreams): void {
  running.add(child);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A detached child does not get the terminal's SIGINT/SIGHUP when this process dies; take its group down with us.
  process.once('exit', () => {
    for (const leftover of running) signalGroup(leftover, 'SIGKILL');
  });
}

/** Keeps at most `limit` bytes; past it, refuses (and keeps nothing more) so memory stays bounded. */
class BoundedCollector {
  readonly #limit: number;
  readonly #chunks: Buffer[] = [];
  #size = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** False when the chunk would pass the limit; the chunk is dropped. */
  add(chunk: Buffer): boolean {
    if (this.#size + chunk.length > this.#limit) return false;
    this.#size += chunk.length;
    this.#chunks.push(chunk);
    return true;
  }

  value(): Buffer {
    return Buffer.concat(this.#chunks, this.#size);
  }
}

type Failure = (ended: Termination) => ExecError;

/**
 * Spawns one allowlisted program with no shell, in its own process group, and waits for it under three limits: time
 * (`timeoutMs`), output (`maxOutputBytes` on stdout and on stderr), and the caller's `AbortSignal`. When a limit is
 * hit the whole group gets SIGTERM, then SIGKILL after `killGraceMs`; when the program exits, whatever it left running
 * in its group gets SIGKILL. The promise settles only once the program is gone.
 *
 * Protects against shell injection (`shell: false`, argv handed to the OS as an array), against hung or slow
 * programs tying up the server, against memory exhaustion by output, and against grandchildren surviving their parent.
 */
export function runChild(spec: ChildSpec): Promise<ChildExit> {
  return new Promise<ChildExit>((resolve, reject) => {
    const abortSignal = spec.signal;
    if (abortSignal?.aborted === true) {
      reject(new ExecAbortedError(spec.program, { signal: null, exitCode: null }, abortSignal.reason));
      return;
    }
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(spec.file, spec.argv, {
        cwd: spec.cwd,
        env: spec.env,
        shell: false,
        windowsHide: true,
        windowsVerbatimArguments: false,
        detached: PROCESS_GROUPS,
        stdio: 'pipe',
      });
    } catch (error) {
      reject(new SpawnFailedError(spec.program, error));
      return;
    }
    track(child);

    const stdout = new BoundedCollector(spec.maxOutputBytes);
    const stderr = new BoundedCollector(spec.maxOutputBytes);
    let failure: Failure | undefined;
    let exited = false;
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    const stop = (why: Failure): void => {
      if (failure !== undefined) return;
      failure = why;
      if (exited) return; // the exit handler has already killed what was left of the group
      signalGroup(child, 'SIGTERM');
      graceTimer = setTimeout(() => {
        signalGroup(child, 'SIGKILL');
      }, spec.killGraceMs);
    };
    const onAbort = (): void => {
      stop((ended) => new ExecAbortedError(spec.program, ended, abortSignal?.reason));
    };
    const timeoutTimer = setTimeout(() => {
      stop((ended) => new ExecTimeoutError(spec.program, spec.timeoutMs, ended));
    }, spec.timeoutMs);
    abortSignal?.addEventListener('abort', onAbort, { once: true });

    const settle = (): void => {
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(graceTimer);
      clearTimeout(drainTimer);
      abortSignal?.removeEventListener('abort', onAbort);
      running.delete(child);
    };

    const collect = (collector: BoundedCollector, stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      // Once stopping, keep reading and dropping, so a program blocked on a full pipe can still receive its signal.
      if (failure !== undefined) return;
      if (!collector.add(chunk)) stop((ended) => new OutputTooLargeError(spec.program, stream, spec.maxOutputBytes, ended));
    };
    child.stdout.on('data', collect(stdout, 'stdout'));
    child.stderr.on('data', collect(stderr, 'stderr'));
    // EPIPE when the program exits without reading its input; the exit status tells the rest.
    child.stdin.on('error', () => undefined);
    child.stdout.on('error', () => undefined);
    child.stderr.on('error', () => undefined);

    child.on('error', (error) => {
      if (settled || child.pid !== undefined) return;
      settle();
      reject(new SpawnFailedError(spec.program, error));
    });

    child.on('exit', () => {
      exited = true;
      clearTimeout(graceTimer);
      // The leader is gone; anything left in its group (a backgrounded grandchild holding our pipes) is an orphan.
      // While a member lives the group id cannot be recycled; with none left the kill fails with ESRCH. This runs in
      // the same tick as the reap, leaving no practical window for the id to become another process group.
      signalGroup(child, 'SIGKILL');
      // A descendant that left the group (setsid) may still hold the pipes open: stop waiting for it eventually, but
      // not before the program's own last output has been read from the pipe.
      drainTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, Math.max(spec.killGraceMs, MIN_DRAIN_MS));
    });

    child.on('close', (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settle();
      const ended: Termination = { exitCode, signal };
      if (failure !== undefined) reject(failure(ended));
      else resolve({ ...ended, stdout: stdout.value(), stderr: stderr.value() });
    });

    child.stdin.end(spec.input);
  });
}
