import { exec, execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RampartError } from '../../errors.js';
import { ArgumentInjectionError, createRunner, NonZeroExitError, operand, option, trusted } from './index.js';
import { cmdline, createFixtureDirectory, inBatches, parseCorpus, sideEffects, withCanary, type Payload } from './exec.fixtures.js';

const shellPayloads = parseCorpus(readFileSync(new URL('./corpus/shell-metacharacters.txt', import.meta.url), 'utf8'));
const optionPayloads = parseCorpus(readFileSync(new URL('./corpus/option-injection.txt', import.meta.url), 'utf8'));
const nulPayloads = parseCorpus(readFileSync(new URL('./corpus/nul-bytes.txt', import.meta.url), 'utf8'));

const fixtures = createFixtureDirectory();
afterAll(() => {
  fixtures.cleanup();
});

const recorder = fixtures.program('record-argv.mjs');
// The working directory holds a file for globs to find; HOME points at it so "~" has something to expand to.
const workDirectory = fixtures.scratch('work');
writeFileSync(join(workDirectory, 'secret.txt'), 'secret');
const runner = createRunner({ programs: { node: process.execPath }, cwd: workDirectory, env: { set: { HOME: workDirectory } } });
// Resolved by name in the fixed search path (/usr/bin, /bin), as an application would.
const coreutils = createRunner({ programs: ['printf', 'basename'], cwd: workDirectory });
const BASENAME = coreutils.programs.get('basename') ?? '';

interface Parsed {
  readonly positionals: string[];
  readonly values: Record<string, string | boolean>;
}

function where(payload: Payload): string {
  return `corpus line ${payload.line} (${payload.source})`;
}

/** What a developer who concatenates input into a command line gets: `child_process.exec`, i.e. `/bin/sh -c`. */
function throughShell(command: string): Promise<{ failed: boolean; stdout: string }> {
  return new Promise((resolve) => {
    const child = exec(command, { cwd: workDirectory, env: { PATH: '/usr/bin:/bin', HOME: workDirectory }, timeout: 5_000 }, (error, stdout) => {
      resolve({ failed: error !== null, stdout });
    });
    child.stdin?.end();
  });
}

/** What a developer who avoids the shell but not argument injection gets: `execFile` with the value as an operand. */
function withoutSeparator(file: string, args: readonly string[], cwd: string): Promise<{ failed: boolean; stdout: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: { PATH: '/usr/bin:/bin', HOME: cwd }, timeout: 5_000 }, (error, stdout) => {
      resolve({ failed: error !== null, stdout });
    });
  });
}

describe('shell metacharacters (corpus/shell-metacharacters.txt) against real processes', () => {
  it('the corpus is large enough to mean something', () => {
    expect(shellPayloads.length + optionPayloads.length + nulPayloads.length).toBeGreaterThanOrEqual(40);
    expect(shellPayloads.every((payload) => !payload.value.startsWith('-') && !payload.value.includes('\0'))).toBe(true);
  });

  it('attack: through child_process.exec (a shell) every payload is interpreted: commands run, words expand', async () => {
    const notInterpreted: string[] = [];
    let commandsRan = 0;
    await inBatches(shellPayloads, 8, async (payload) => {
      const canary = fixtures.scratch('shell-canary');
      const value = withCanary(payload, canary);
      const shell = await throughShell(`printf '%s\\n' ${value}`);
      const ran = sideEffects(canary).length > 0;
      if (ran) commandsRan += 1;
      if (!shell.failed && !ran && shell.stdout === `${value}\n`) notInterpreted.push(where(payload));
    });
    expect(notInterpreted).toEqual([]);
    // Not only expansions: the canary payloads really executed commands through the shell.
    expect(commandsRan).toBeGreaterThanOrEqual(15);
  });

  it('attack: through the runner each payload is one argument to printf, byte for byte, and nothing runs', async () => {
    await inBatches(shellPayloads, 8, async (payload) => {
      const canary = fixtures.scratch('canary');
      const value = withCanary(payload, canary);
      const lineBreak = /[\r\n]/.test(value);
      if (lineBreak) {
        // Line breaks in untrusted values are refused unless allowed by name.
        const refused = coreutils.run('printf', ['%s\\0', operand(value)]);
        await expect(refused, where(payload)).rejects.toMatchObject({ code: 'ARGUMENT_INJECTION', reason: 'line_break', index: 1 });
      }
      const result = await coreutils.run('printf', ['%s\\0', operand(value, { allowLineBreaks: lineBreak })], { encoding: 'buffer' });
      expect(result.stdout, where(payload)).toEqual(Buffer.from(`${value}\0`));
      expect(sideEffects(canary), where(payload)).toEqual([]);
    });
  });

  it('attack: a node program records its argv (/proc/self/cmdline): identical to the intended array, nothing runs', async () => {
    const canary = fixtures.scratch('canary');
    const record = join(fixtures.scratch('record'), 'argv');
    const values = shellPayloads.map((payload) => withCanary(payload, canary));
    const operands = values.map((value) => operand(value, { allowLineBreaks: true }));
    const result = await runner.run('node', [trusted(recorder), trusted(record), ...operands]);
    expect(readFileSync(record)).toEqual(cmdline([process.execPath, recorder, record, ...values]));
    expect(JSON.parse(result.stdout) as Parsed).toEqual({ positionals: values, values: {} });
    expect(sideEffects(canary)).toEqual([]);
  });

  it('attack: even as trusted strings, the payloads arrive verbatim (there is no shell to interpret them)', async () => {
    const canary = fixtures.scratch('canary');
    const record = join(fixtures.scratch('record'), 'argv');
    const values = shellPayloads.map((payload) => trusted(withCanary(payload, canary)));
    await runner.run('node', [trusted(recorder), trusted(record), ...values]);
    expect(readFileSync(record)).toEqual(cmdline([process.execPath, recorder, record, ...values]));
    expect(sideEffects(canary)).toEqual([]);
  });
});

describe('option injection (corpus/option-injection.txt) against real processes', () => {
  it('attack: every payload is refused as an operand before "--", typed, and the program never starts', async () => {
    for (const payload of optionPayloads) {
      const canary = fixtures.scratch('canary');
      const record = join(fixtures.scratch('record'), 'argv');
      const refused = runner.run('node', [trusted(recorder), trusted(record), operand(withCanary(payload, canary))]);
      await expect(refused, where(payload)).rejects.toBeInstanceOf(ArgumentInjectionError);
      await expect(refused, where(payload)).rejects.toMatchObject({ code: 'ARGUMENT_INJECTION', reason: 'option_like', index: 2 });
      expect(existsSync(record), where(payload)).toBe(false);
      expect(sideEffects(canary), where(payload)).toEqual([]);
    }
  });

  it('attack: without a separator (plain execFile) a getopt program (basename) reads every payload as an option', async () => {
    const readAsOperand: string[] = [];
    await inBatches(optionPayloads, 8, async (payload) => {
      const value = withCanary(payload, fixtures.scratch('canary'));
      const naive = await withoutSeparator(BASENAME, [value], workDirectory);
      if (naive.stdout === `${posix.basename(value)}\n`) readAsOperand.push(where(payload));
    });
    expect(readAsOperand).toEqual([]);
  });

  it('after a trusted "--" every payload is one operand: basename names it, printf echoes it byte for byte', async () => {
    await inBatches(optionPayloads, 8, async (payload) => {
      const canary = fixtures.scratch('canary');
      const value = withCanary(payload, canary);
      const named = await coreutils.run('basename', ['--', operand(value)]);
      expect(named.stdout, where(payload)).toBe(`${posix.basename(value)}\n`);
      // printf takes no options after its format; "--" is echoed as the first argument.
      const echoed = await coreutils.run('printf', ['%s\\0', '--', operand(value)], { encoding: 'buffer' });
      expect(echoed.stdout, where(payload)).toEqual(Buffer.from(`--\0${value}\0`));
      expect(sideEffects(canary), where(payload)).toEqual([]);
    });
  });

  it('after "--" a node program records all payloads as operands, argv identical to the intended array', async () => {
    const canary = fixtures.scratch('canary');
    const record = join(fixtures.scratch('record'), 'argv');
    const values = optionPayloads.map((payload) => withCanary(payload, canary));
    const result = await runner.run('node', [trusted(recorder), trusted(record), '--', ...values.map((value) => operand(value))]);
    expect(readFileSync(record)).toEqual(cmdline([process.execPath, recorder, record, '--', ...values]));
    expect(JSON.parse(result.stdout) as Parsed).toEqual({ positionals: values, values: {} });
    expect(sideEffects(canary)).toEqual([]);
  });

  it('as the value of option("--labelN", …) every payload stays that option’s value', async () => {
    const canary = fixtures.scratch('canary');
    const record = join(fixtures.scratch('record'), 'argv');
    const values = optionPayloads.map((payload) => withCanary(payload, canary));
    const result = await runner.run('node', [trusted(recorder), trusted(record), ...values.map((value, index) => option(`--label${index}`, value))]);
    expect(readFileSync(record)).toEqual(cmdline([process.execPath, recorder, record, ...values.map((value, index) => `--label${index}=${value}`)]));
    expect(JSON.parse(result.stdout) as Parsed).toEqual({ positionals: [], values: Object.fromEntries(values.map((value, index) => [`label${index}`, value])) });
    expect(sideEffects(canary)).toEqual([]);
  });
});

describe('NUL bytes (corpus/nul-bytes.txt)', () => {
  it('attack: a NUL anywhere — operand, after "--", option value, trusted string — is a typed refusal before spawning', async () => {
    for (const payload of nulPayloads) {
      const canary = fixtures.scratch('canary');
      const record = join(fixtures.scratch('record'), 'argv');
      const value = withCanary(payload, canary);
      const placements = [
        [trusted(recorder), trusted(record), operand(value)],
        [trusted(recorder), trusted(record), '--', operand(value)],
        [trusted(recorder), trusted(record), option('--label', value)],
        [trusted(recorder), trusted(record), trusted(value)],
      ] as const;
      for (const args of placements) {
        await expect(runner.run('node', args), where(payload)).rejects.toMatchObject({ code: 'ARGUMENT_INJECTION', reason: 'nul_byte' });
      }
      expect(existsSync(record), where(payload)).toBe(false);
      expect(sideEffects(canary), where(payload)).toEqual([]);
    }
  });

  it('Node alone throws an untyped error for the same values (what the runner turns into ARGUMENT_INJECTION)', () => {
    for (const payload of nulPayloads) {
      let thrown: unknown;
      try {
        execFile(process.execPath, ['-e', '0', payload.value]);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, where(payload)).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
      expect(thrown).not.toBeInstanceOf(RampartError);
    }
  });
});

const GIT = ['/usr/bin/git', '/bin/git'].find((file) => existsSync(file));
const SSH = ['/usr/bin/ssh', '/bin/ssh'].find((file) => existsSync(file));
const FIND = ['/usr/bin/find', '/bin/find'].find((file) => existsSync(file));

describe.skipIf(GIT === undefined)('real git: a repository argument read as --upload-pack (needs git in /usr/bin or /bin)', () => {
  const payload = (canary: string): string => `--upload-pack=touch ${canary}/pwned;:`;

  it('attack: execFile without a separator runs the attacker’s command through git', async () => {
    const canary = fixtures.scratch('git-canary');
    await withoutSeparator(GIT ?? '', ['ls-remote', payload(canary), workDirectory], workDirectory);
    expect(sideEffects(canary)).toEqual(['pwned']);
  });

  it('the runner refuses it as an operand, and after "--" git sees a (strange) repository name, nothing runs', async () => {
    const git = createRunner({ programs: { git: GIT ?? '' }, cwd: workDirectory });
    const canary = fixtures.scratch('git-canary');
    await expect(git.run('git', ['ls-remote', operand(payload(canary)), trusted(workDirectory)])).rejects.toMatchObject({
      code: 'ARGUMENT_INJECTION',
      reason: 'option_like',
    });
    await expect(git.run('git', ['ls-remote', '--', operand(payload(canary))])).rejects.toBeInstanceOf(NonZeroExitError);
    expect(sideEffects(canary)).toEqual([]);
  });
});

describe.skipIf(SSH === undefined)('real ssh: a host argument read as -oProxyCommand (CVE-2017-1000117; needs ssh in /usr/bin or /bin)', () => {
  it('attack: execFile without a separator runs the proxy command; the runner refuses the same value', async () => {
    const canary = fixtures.scratch('ssh-canary');
    const value = `-oProxyCommand=touch ${canary}/pwned`;
    // The app meant `ssh <host> uptime`; the "host" is an option, so "uptime" becomes the destination.
    await withoutSeparator(SSH ?? '', ['-oBatchMode=yes', value, 'uptime'], workDirectory);
    expect(sideEffects(canary)).toEqual(['pwned']);

    const ssh = createRunner({ programs: { ssh: SSH ?? '' }, cwd: workDirectory });
    const safeCanary = fixtures.scratch('ssh-canary');
    const refused = ssh.run('ssh', ['-oBatchMode=yes', operand(`-oProxyCommand=touch ${safeCanary}/pwned`), 'uptime']);
    await expect(refused).rejects.toMatchObject({ code: 'ARGUMENT_INJECTION', reason: 'option_like' });
    expect(sideEffects(safeCanary)).toEqual([]);
  });
});

describe.skipIf(FIND === undefined)('real find: a start directory read as -delete (needs find in /usr/bin or /bin)', () => {
  it('attack: execFile without a check deletes files; the runner refuses the same value', async () => {
    const victim = fixtures.scratch('find-victim');
    writeFileSync(join(victim, 'keep.txt'), 'precious');
    await withoutSeparator(FIND ?? '', ['-delete', '-type', 'f'], victim);
    expect(existsSync(join(victim, 'keep.txt'))).toBe(false);

    const protectedDirectory = fixtures.scratch('find-victim');
    writeFileSync(join(protectedDirectory, 'keep.txt'), 'precious');
    const find = createRunner({ programs: { find: FIND ?? '' }, cwd: protectedDirectory });
    await expect(find.run('find', [operand('-delete'), '-type', 'f'])).rejects.toMatchObject({ code: 'ARGUMENT_INJECTION' });
    // The documented fix for programs without "--" (find): make a relative path start with "./".
    const listed = await find.run('find', [operand('./keep.txt'), '-type', 'f']);
    expect(listed.stdout).toBe('./keep.txt\n');
    expect(readFileSync(join(protectedDirectory, 'keep.txt'), 'utf8')).toBe('precious');
  });
});
