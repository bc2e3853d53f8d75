import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import {
  createRunner,
  ExecAbortedError,
  ExecTimeoutError,
  InputTooLargeError,
  NonZeroExitError,
  OutputTooLargeError,
  SpawnFailedError,
  trusted,
  type EnvironmentOptions,
} from './index.js';
import { createFixtureDirectory, isRunning, stopsRunning, waitForFile } from './exec.fixtures.js';

const fixtures = createFixtureDirectory();
const spawnedForCleanup: number[] = [];
afterAll(() => {
  for (const pid of spawnedForCleanup) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  fixtures.cleanup();
});

const cwd = fixtures.scratch('cwd');
const node = createRunner({ programs: { node: process.execPath }, cwd });
const script = (name: Parameters<typeof fixtures.program>[0]) => trusted(fixtures.program(name));

function pids(text: string): [number, number] {
  const [child, grandchild] = text.split(' ').map(Number);
  if (child === undefined || grandchild === undefined) throw new Error('fixture wrote no pids');
  return [child, grandchild];
}

interface PrintedEnvironment {
  readonly env: Record<string, string>;
  readonly cwd: string;
}

describe('environment and working directory', () => {
  it('attack: the server’s secrets in process.env never reach the program; PATH is the fixed search path', async () => {
    process.env.RAMPART_TEST_SECRET = 'postgres://admin:hunter2@db/prod';
    process.env.LD_PRELOAD = '/tmp/evil.so';
    try {
      const runner = createRunner({ programs: { node: process.execPath }, cwd });
      const printed = JSON.parse((await runner.run('node', [script('print-env.mjs')])).stdout) as PrintedEnvironment;
      expect(printed.env).toEqual({ PATH: '/usr/bin:/bin' });
      expect(JSON.stringify(printed)).not.toContain('hunter2');
    } finally {
      delete process.env.RAMPART_TEST_SECRET;
      delete process.env.LD_PRELOAD;
    }
  });

  it('copies named variables once, at build time, and explicit values win', async () => {
    process.env.RAMPART_TEST_LANG = 'C.UTF-8';
    process.env.RAMPART_TEST_OVERRIDDEN = 'from process.env';
    const runner = createRunner({
      programs: { node: process.execPath },
      cwd,
      env: { inherit: ['RAMPART_TEST_LANG', 'RAMPART_TEST_OVERRIDDEN', 'RAMPART_TEST_ABSENT'], set: { RAMPART_TEST_OVERRIDDEN: 'explicit', TZ: 'UTC' } },
    });
    process.env.RAMPART_TEST_LANG = 'changed after build';
    delete process.env.RAMPART_TEST_OVERRIDDEN;
    const printed = JSON.parse((await runner.run('node', [script('print-env.mjs')])).stdout) as PrintedEnvironment;
    delete process.env.RAMPART_TEST_LANG;
    expect(printed.env).toEqual({ PATH: '/usr/bin:/bin', RAMPART_TEST_LANG: 'C.UTF-8', RAMPART_TEST_OVERRIDDEN: 'explicit', TZ: 'UTC' });
  });

  it('refuses variable names and values that are not plain', () => {
    const refused: EnvironmentOptions[] = [{ inherit: ['1X'] }, { inherit: ['A-B'] }, { set: { 'A=B': 'x' } }, { set: { X: 'a\0b' } }, { set: { X: 42 as unknown as string } }];
    for (const env of refused) {
      expect(() => createRunner({ programs: { node: process.execPath }, cwd, env })).toThrow(ConfigurationError);
    }
  });

  it('runs in the fixed working directory, which must be an absolute, existing directory', async () => {
    const printed = JSON.parse((await node.run('node', [script('print-env.mjs')])).stdout) as PrintedEnvironment;
    expect(realpathSync(printed.cwd)).toBe(realpathSync(cwd));
    const file = join(cwd, 'a-file');
    writeFileSync(file, '');
    for (const bad of ['relative/dir', '.', `${cwd}/../${cwd.split('/').pop() ?? ''}`, join(cwd, 'missing'), file, '']) {
      expect(() => createRunner({ programs: { node: process.execPath }, cwd: bad }), bad).toThrow(ConfigurationError);
    }
  });
});

describe('input', () => {
  it('passes input bytes to stdin exactly, and closes stdin when there is none (no hang)', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 0x24, 0x28]);
    const echoed = await node.run('node', [script('echo-stdin.mjs')], { input: bytes, encoding: 'buffer' });
    expect(echoed.stdout).toEqual(bytes);
    expect((await node.run('node', [script('echo-stdin.mjs')], { input: 'héllo' })).stdout).toBe('héllo');
    expect((await node.run('node', [script('echo-stdin.mjs')])).stdout).toBe('');
  });

  it('attack: input over maxInputBytes is refused before the program starts', async () => {
    const runner = createRunner({ programs: { node: process.execPath }, cwd, maxInputBytes: 4 });
    const record = join(fixtures.scratch('record'), 'argv');
    const refused = runner.run('node', [script('record-argv.mjs'), trusted(record)], { input: 'hello' });
    await expect(refused).rejects.toBeInstanceOf(InputTooLargeError);
    await expect(refused).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE', limit: 4 });
    expect(existsSync(record)).toBe(false);
    await expect(runner.run('node', [script('echo-stdin.mjs')], { input: new Uint8Array([1, 2, 3, 4]) })).resolves.toMatchObject({ exitCode: 0 });
  });
});

describe('output limits', () => {
  const printf = createRunner({ programs: ['printf'], cwd, maxOutputBytes: 5 });

  it('output up to the limit is returned; one byte more is a typed refusal', async () => {
    expect((await printf.run('printf', ['hello'])).stdout).toBe('hello');
    await expect(printf.run('printf', ['hello!'])).rejects.toMatchObject({ code: 'OUTPUT_TOO_LARGE', stream: 'stdout', limit: 5 });
  });

  it('attack: a program flooding stdout, or stderr, is stopped and refused; memory stays bounded', async () => {
    const runner = createRunner({ programs: { node: process.execPath }, cwd, maxOutputBytes: 200_000 });
    for (const stream of ['stdout', 'stderr'] as const) {
      const flooded = runner.run('node', [script('flood.mjs'), stream]);
      await expect(flooded).rejects.toBeInstanceOf(OutputTooLargeError);
      await expect(flooded).rejects.toMatchObject({ code: 'OUTPUT_TOO_LARGE', stream, limit: 200_000, signal: 'SIGTERM' });
    }
  });
});

describe('time limits and process groups', () => {
  it('attack: a program that never ends is stopped at timeoutMs with a typed error', async () => {
    const runner = createRunner({ programs: { node: process.execPath }, cwd, timeoutMs: 300 });
    const hung = runner.run('node', [script('sleep.mjs')]);
    await expect(hung).rejects.toBeInstanceOf(ExecTimeoutError);
    await expect(hung).rejects.toMatchObject({ code: 'TIMEOUT', timeoutMs: 300, signal: 'SIGTERM', exitCode: null });
  });

  it('attack: on timeout the whole process group dies, grandchild included', async () => {
    const runner = createRunner({ programs: { node: process.execPath }, cwd, timeoutMs: 1_500 });
    const pidFile = join(fixtures.scratch('pids'), 'pids');
    await expect(runner.run('node', [script('spawn-grandchild.mjs'), trusted(pidFile), 'stay'])).rejects.toMatchObject({ code: 'TIMEOUT' });
    const [child, grandchild] = pids(await waitForFile(pidFile));
    expect(await stopsRunning(child)).toBe(true);
    expect(await stopsRunning(grandchild)).toBe(true);
  });

  it('what it prevents: killing only the child (what execFile’s timeout does) leaves the grandchild running', async () => {
    const pidFile = join(fixtures.scratch('pids'), 'pids');
    const child = spawn(process.execPath, [fixtures.program('spawn-grandchild.mjs'), pidFile, 'stay'], { stdio: 'ignore' });
    const [childPid, grandchild] = pids(await waitForFile(pidFile));
    spawnedForCleanup.push(grandchild);
    child.kill('SIGKILL');
    expect(await stopsRunning(childPid)).toBe(true);
    expect(isRunning(grandchild)).toBe(true);
  });

  it('attack: a grandchild left behind by a program that exited is killed, and the run returns at once', async () => {
    const pidFile = join(fixtures.scratch('pids'), 'pids');
    // The grandchild holds the output pipes open: without the group kill this run would end only at its timeout.
    const result = await node.run('node', [script('spawn-grandchild.mjs'), trusted(pidFile), 'exit']);
    expect(result.exitCode).toBe(0);
    const [, grandchild] = pids(await waitForFile(pidFile));
    expect(await stopsRunning(grandchild)).toBe(true);
  });

  it('a descendant that left the group (setsid) cannot hold the run open: the pipes are let go after the grace', async () => {
    const pidFile = join(fixtures.scratch('pids'), 'pids');
    const runner = createRunner({ programs: { node: process.execPath }, cwd, killGraceMs: 100 });
    const result = await runner.run('node', [script('spawn-grandchild.mjs'), trusted(pidFile), 'escape']);
    const [, escaped] = pids(await waitForFile(pidFile));
    spawnedForCleanup.push(escaped);
    expect(result.exitCode).toBe(0);
    // Documented limit: the group kill cannot reach it (a sandbox or cgroup can).
    expect(isRunning(escaped)).toBe(true);
  });

  it('a program that ignores SIGTERM is killed with SIGKILL after killGraceMs', async () => {
    const runner = createRunner({ programs: { node: process.execPath }, cwd, killGraceMs: 100 });
    const ready = join(fixtures.scratch('ready'), 'ready');
    const controller = new AbortController();
    const run = runner.run('node', [script('stubborn.mjs'), trusted(ready)], { signal: controller.signal });
    await waitForFile(ready);
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(ExecAbortedError);
    await expect(run).rejects.toMatchObject({ code: 'ABORTED', signal: 'SIGKILL' });
  });

  it('an already aborted signal refuses the run before spawning', async () => {
    const record = join(fixtures.scratch('record'), 'argv');
    const refused = node.run('node', [script('record-argv.mjs'), trusted(record)], { signal: AbortSignal.abort() });
    await expect(refused).rejects.toMatchObject({ code: 'ABORTED', signal: null });
    expect(existsSync(record)).toBe(false);
  });

  it('attack: when the server process exits, running programs and their grandchildren die with it', async () => {
    const pidFile = join(fixtures.scratch('pids'), 'pids');
    const server = join(fixtures.scratch('server'), 'server.mts');
    writeFileSync(
      server,
      [
        `import { createRunner, trusted } from ${JSON.stringify(new URL('./index.ts', import.meta.url).href)};`,
        `const runner = createRunner({ programs: { node: process.execPath }, cwd: ${JSON.stringify(cwd)} });`,
        `runner.run('node', [trusted(${JSON.stringify(fixtures.program('spawn-grandchild.mjs'))}), trusted(${JSON.stringify(pidFile)}), 'stay']).catch(() => {});`,
        `const { existsSync } = await import('node:fs');`,
        `const wait = setInterval(() => { if (existsSync(${JSON.stringify(pidFile)})) { clearInterval(wait); process.exit(0); } }, 10);`,
      ].join('\n'),
    );
    const exited = await new Promise<Error | null>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', server], { cwd: process.cwd(), timeout: 30_000 }, resolve);
    });
    expect(exited).toBeNull();
    const [child, grandchild] = pids(await waitForFile(pidFile));
    expect(await stopsRunning(child)).toBe(true);
    expect(await stopsRunning(grandchild)).toBe(true);
  });
});

describe('exit status', () => {
  it('fails closed: a non-zero exit is a typed error carrying the output, which its message never repeats', async () => {
    const failed = node.run('node', [script('exit-with.mjs'), '3']);
    await expect(failed).rejects.toBeInstanceOf(NonZeroExitError);
    const error = await failed.catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'NON_ZERO_EXIT', exitCode: 3, signal: null, program: 'node' });
    if (!(error instanceof NonZeroExitError)) throw new Error('expected NonZeroExitError');
    expect(error.stdout.toString()).toBe('some output');
    expect(error.stderr.toString()).toBe('some error');
    expect(error.message).not.toContain('some');
  });

  it('allowExitCodes names the codes that count as success', async () => {
    const result = await node.run('node', [script('exit-with.mjs'), '3'], { allowExitCodes: [0, 3] });
    expect(result).toEqual({ stdout: 'some output', stderr: 'some error', exitCode: 3 });
    await expect(node.run('node', [script('exit-with.mjs'), '0'], { allowExitCodes: [1.5] })).rejects.toThrow(ConfigurationError);
  });

  it('a program killed by a signal it did not get from the runner is never a success', async () => {
    const killed = node.run('node', [script('exit-with.mjs'), 'SIGKILL'], { allowExitCodes: [0, 1, 137] });
    await expect(killed).rejects.toMatchObject({ code: 'NON_ZERO_EXIT', signal: 'SIGKILL', exitCode: null });
  });

  it('a program removed after the runner was built fails with SPAWN_FAILED, not an untyped error', async () => {
    const directory = fixtures.scratch('removed');
    const copy = join(directory, 'tool');
    copyFileSync('/usr/bin/printf', copy);
    const runner = createRunner({ programs: { tool: copy }, cwd });
    expect((await runner.run('tool', ['ok'])).stdout).toBe('ok');
    rmSync(copy);
    const failed = runner.run('tool', ['ok']);
    await expect(failed).rejects.toBeInstanceOf(SpawnFailedError);
    await expect(failed).rejects.toMatchObject({ code: 'SPAWN_FAILED', systemCode: 'ENOENT' });
  });
});

describe('limits configuration', () => {
  it('refuses limits that are not whole numbers in range', () => {
    const bad = [
      { timeoutMs: 0 },
      { timeoutMs: -1 },
      { timeoutMs: 1.5 },
      { timeoutMs: Number.NaN },
      { timeoutMs: 2 ** 31 },
      { killGraceMs: -1 },
      { maxOutputBytes: -1 },
      { maxOutputBytes: Number.POSITIVE_INFINITY },
      { maxInputBytes: 2 ** 40 },
    ];
    for (const limits of bad) {
      expect(() => createRunner({ programs: { node: process.execPath }, cwd, ...limits }), JSON.stringify(limits)).toThrow(ConfigurationError);
    }
  });
});
