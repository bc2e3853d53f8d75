import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** How a bounded child process ended. */
export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when the hard timeout stopped it: its results are incomplete. */
  readonly timedOut: boolean;
}

/** What {@link runBounded} starts. */
export interface BoundedCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** Hard limit: SIGTERM at this point, SIGKILL 5 s later. */
  readonly timeoutMs: number;
  /** stdout and stderr go here (the scanners are verbose; the summary is read from their report files). */
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/**
 * Runs a scanner with a hard timeout, so that one scanner that hangs (a time-based payload against a slow route, a
 * crawler in a loop) cannot hold the CI job: the script reports the scan as incomplete instead of waiting forever.
 */
export function runBounded(cmd: BoundedCommand): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(cmd.logFile);
    const child = spawn(cmd.command, cmd.args, { cwd: cmd.cwd, env: cmd.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    }, cmd.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      log.end();
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (killer !== undefined) clearTimeout(killer);
      log.end(() => {
        resolve({ code, signal, timedOut });
      });
    });
  });
}
