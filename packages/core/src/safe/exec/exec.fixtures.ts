import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Small Node programs the tests run as real child processes, through the absolute `process.execPath`. They are
 * written to a temporary directory because they must be plain JavaScript files a bare `node` can start.
 */
const SOURCES = {
  // Records the exact bytes of its own argv (Linux: /proc/self/cmdline, NUL-separated) to the file named by its first
  // argument, then parses the rest like a typical CLI would (util.parseArgs) and prints what it saw. `--output`
  // writes a file: the side effect an injected option would cause.
  'record-argv.mjs': `
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
const [, , recordTo, ...rest] = process.argv;
let raw;
try { raw = readFileSync('/proc/self/cmdline'); } catch { raw = Buffer.from(process.argv.map((a) => a + '\\0').join('')); }
writeFileSync(recordTo, raw);
const { values, positionals } = parseArgs({
  args: rest, strict: false, allowPositionals: true, options: { output: { type: 'string', short: 'o' } },
});
if (typeof values.output === 'string') { try { writeFileSync(values.output, 'written by an injected option'); } catch {} }
process.stdout.write(JSON.stringify({ positionals, values }));
`,
  'print-env.mjs': `
process.stdout.write(JSON.stringify({ env: process.env, cwd: process.cwd() }));
`,
  'echo-stdin.mjs': `
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
process.stdout.write(Buffer.concat(chunks));
`,
  // Writes without end to the stream named by its first argument.
  'flood.mjs': `
const stream = process.argv[2] === 'stderr' ? process.stderr : process.stdout;
const chunk = Buffer.alloc(65536, 0x78);
const write = () => { while (stream.write(chunk)); stream.once('drain', write); };
write();
`,
  // Fixtures that wait end by themselves after 30 s, so a failing test cannot leave them running for good.
  'sleep.mjs': `
setTimeout(() => {}, 30_000);
`,
  // Ignores SIGTERM (so only SIGKILL stops it), then says it is ready by creating the file named by argv[2].
  'stubborn.mjs': `
import { writeFileSync } from 'node:fs';
process.on('SIGTERM', () => {});
writeFileSync(process.argv[2], String(process.pid));
setTimeout(() => process.exit(0), 30_000);
`,
  // Starts a sleeping grandchild that shares our stdout/stderr pipes, writes "<own pid> <grandchild pid>" to argv[2]
  // (atomically), then either exits at once ("exit") or sleeps ("stay"). "escape": the grandchild leaves the process
  // group (setsid, as a daemon would) and we exit.
  'spawn-grandchild.mjs': `
import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
const mode = process.argv[3];
const grandchild = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30_000)'], { stdio: 'inherit', detached: mode === 'escape' });
writeFileSync(process.argv[2] + '.tmp', process.pid + ' ' + grandchild.pid);
renameSync(process.argv[2] + '.tmp', process.argv[2]);
if (mode === 'exit' || mode === 'escape') process.exit(0);
setTimeout(() => {}, 30_000);
`,
  // Writes to both streams, then exits with argv[2], or kills itself with the signal named there.
  'exit-with.mjs': `
process.stdout.write('some output');
process.stderr.write('some error');
const how = process.argv[2];
if (how.startsWith('SIG')) process.kill(process.pid, how);
else process.exitCode = Number(how);
`,
} as const;

export type FixtureProgram = keyof typeof SOURCES;

/** A temporary directory holding the fixture programs and scratch directories; remove it with `cleanup()`. */
export interface FixtureDirectory {
  readonly root: string;
  /** Absolute path of a fixture program. */
  program(name: FixtureProgram): string;
  /** A new empty directory (a canary: any file in it proves a side effect). */
  scratch(prefix: string): string;
  cleanup(): void;
}

let counter = 0;

export function createFixtureDirectory(): FixtureDirectory {
  const root = mkdtempSync(join(tmpdir(), 'rampart-exec-'));
  const programs = join(root, 'programs');
  mkdirSync(programs);
  for (const [name, source] of Object.entries(SOURCES)) writeFileSync(join(programs, name), source.trimStart());
  return {
    root,
    program: (name) => join(programs, name),
    scratch: (prefix) => {
      counter += 1;
      const directory = join(root, `${prefix}-${counter}`);
      mkdirSync(directory);
      return directory;
    },
    cleanup: () => {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Files that appeared in a canary directory. */
export function sideEffects(canary: string): string[] {
  return readdirSync(canary);
}

/** One payload of a corpus file, with the comment that names its source. */
export interface Payload {
  readonly source: string;
  readonly line: number;
  /** The payload with `{LF}`, `{CR}`, `{TAB}`, `{NUL}` decoded; `{CANARY}` is left for {@link withCanary}. */
  readonly value: string;
}

const TOKENS: Readonly<Record<string, string>> = { '{LF}': '\n', '{CR}': '\r', '{TAB}': '\t', '{NUL}': '\0' };

/**
 * Parses a corpus file: `#` lines name the source of the payloads below them, blank lines are skipped, every other
 * line is one payload. Control characters are written as `{LF}`, `{CR}`, `{TAB}`, `{NUL}` so a payload stays on
 * one line.
 */
export function parseCorpus(text: string): Payload[] {
  const payloads: Payload[] = [];
  let source = '';
  text.split('\n').forEach((raw, index) => {
    if (raw.startsWith('#')) {
      source = raw.slice(1).trim();
      return;
    }
    if (raw === '') return;
    if (source === '') throw new Error(`corpus line ${index + 1} has no source comment above it`);
    payloads.push({ source, line: index + 1, value: raw.replace(/\{(?:LF|CR|TAB|NUL)\}/g, (token) => TOKENS[token] ?? token) });
  });
  return payloads;
}

/** The payload aimed at `canary`: a file created there proves the payload ran as a command. */
export function withCanary(payload: Payload, canary: string): string {
  return payload.value.replaceAll('{CANARY}', canary);
}

/** NUL-separated argv, as Linux shows it in /proc/<pid>/cmdline. */
export function cmdline(argv: readonly string[]): Buffer {
  return Buffer.concat(argv.map((arg) => Buffer.from(`${arg}\0`, 'utf8')));
}

/** Alive and not a zombie (a killed process whose parent has not reaped it yet is gone for every purpose here). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/** Waits (by polling, bounded) until `pid` has stopped running; true if it did. */
export async function stopsRunning(pid: number, attempts = 200): Promise<boolean> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    if (!isRunning(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

/** Waits (by polling, bounded) until `file` can be read; returns its content. */
export async function waitForFile(file: string, attempts = 1_000): Promise<string> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  throw new Error('fixture never wrote its file');
}

/** Runs `tasks` with at most `width` in flight: real processes on two cores, without serializing everything. */
export async function inBatches<T>(items: readonly T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += width) {
    await Promise.all(items.slice(start, start + width).map(task));
  }
}
