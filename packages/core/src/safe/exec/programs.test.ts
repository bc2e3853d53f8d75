import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { createRunner, DEFAULT_SEARCH_PATH, ProgramNotAllowedError } from './index.js';
import { createFixtureDirectory, sideEffects } from './exec.fixtures.js';

const fixtures = createFixtureDirectory();
afterAll(() => {
  fixtures.cleanup();
});
const cwd = fixtures.scratch('cwd');

/** An executable copy of printf at `name` in a fresh directory (mode 0755 unless told otherwise). */
function executable(name: string, mode = 0o755, directoryMode = 0o755): string {
  const directory = fixtures.scratch('bin');
  chmodSync(directory, directoryMode);
  const file = join(directory, name);
  copyFileSync('/usr/bin/printf', file);
  chmodSync(file, mode);
  return file;
}

function refusedAtBuild(programs: Readonly<Record<string, string>> | readonly string[], extra: { searchPath?: readonly string[] } = {}): ConfigurationError {
  try {
    createRunner({ programs, cwd, ...extra });
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('program allowlist: absolute paths, checked at build time', () => {
  it('accepts an absolute path to an executable and reports it', () => {
    const runner = createRunner({ programs: { printf: '/usr/bin/printf', node: process.execPath }, cwd });
    expect([...runner.programs]).toEqual([
      ['printf', '/usr/bin/printf'],
      ['node', process.execPath],
    ]);
    // A copy: changing it changes nothing.
    (runner.programs as Map<string, string>).set('sh', '/bin/sh');
    expect(runner.programs.has('sh' as 'printf')).toBe(false);
  });

  it('refuses relative, unnormalized and missing paths, directories and non-executable files', () => {
    for (const file of ['printf', './printf', 'bin/printf', '/usr/bin/../bin/printf', '/usr/bin//printf', '/nonexistent/printf', '/usr/bin', '']) {
      expect(refusedAtBuild({ tool: file }).message, file).toMatch(/absolute|does not exist|not a regular file/);
    }
    expect(refusedAtBuild({ tool: executable('tool', 0o644) }).message).toMatch(/not executable/);
  });

  it('attack: refuses a program any user could replace (world-writable file, or directory without sticky bit)', () => {
    expect(refusedAtBuild({ tool: executable('tool', 0o757) }).message).toMatch(/writable by any user/);
    expect(refusedAtBuild({ tool: executable('tool', 0o755, 0o777) }).message).toMatch(/any user can replace/);
    // A sticky world-writable directory (like /tmp) only lets owners replace their files.
    expect(() => createRunner({ programs: { tool: executable('tool', 0o755, 0o1777) }, cwd })).not.toThrow();
  });

  it('attack: refuses .bat and .cmd files, also with the trailing dots and spaces Windows ignores (CVE-2024-27980)', () => {
    for (const name of ['run.bat', 'run.cmd', 'RUN.BAT', 'run.Cmd', 'run.bat.', 'run.cmd ', 'run.bat. .']) {
      expect(refusedAtBuild({ tool: executable(name) }).message, name).toMatch(/\.bat\/\.cmd/);
    }
    // Through a symlink with an innocent name too.
    const target = executable('run.bat');
    const link = join(fixtures.scratch('bin'), 'innocent');
    symlinkSync(target, link);
    expect(refusedAtBuild({ tool: link }).message).toMatch(/\.bat\/\.cmd/);
  });

  it('attack: refuses shells and command launchers, also behind a symlink, unless allowShellPrograms is named', () => {
    for (const file of ['/bin/sh', '/usr/bin/bash', '/usr/bin/dash', '/usr/bin/env', '/usr/bin/xargs', '/usr/bin/timeout']) {
      expect(refusedAtBuild({ tool: file }).message, file).toMatch(/shell or command launcher/);
    }
    const link = join(fixtures.scratch('bin'), 'report-tool');
    symlinkSync('/bin/sh', link);
    expect(refusedAtBuild({ tool: link }).message).toMatch(/shell or command launcher/);
    expect(() => createRunner({ programs: { sh: '/bin/sh' }, cwd, allowShellPrograms: true })).not.toThrow();
  });

  it('refuses names that are paths or look like options, and an empty allowlist', () => {
    for (const name of ['../printf', 'bin/printf', '/usr/bin/printf', '-rf', '.hidden', 'a b', '']) {
      expect(refusedAtBuild({ [name]: '/usr/bin/printf' }).message, name).toMatch(/bare names/);
    }
    expect(refusedAtBuild({}).message).toMatch(/at least one program/);
    expect(refusedAtBuild([]).message).toMatch(/at least one program/);
  });
});

describe('program allowlist: bare names, resolved once in a fixed search path', () => {
  it('resolves names in the default search path, never in process.env.PATH', () => {
    expect(DEFAULT_SEARCH_PATH).toEqual(['/usr/bin', '/bin']);
    const runner = createRunner({ programs: ['printf', 'basename'], cwd });
    expect(runner.programs.get('printf')).toBe('/usr/bin/printf');
  });

  it('uses the first match in an explicit search path, and refuses what it cannot find or relative entries', () => {
    const first = executable('mytool');
    const directory = first.slice(0, first.lastIndexOf('/'));
    expect(createRunner({ programs: ['mytool'], searchPath: [directory, '/usr/bin'], cwd }).programs.get('mytool')).toBe(first);
    expect(refusedAtBuild(['mytool']).message).toMatch(/not found/);
    expect(refusedAtBuild(['printf'], { searchPath: ['usr/bin'] }).message).toMatch(/absolute/);
    expect(refusedAtBuild(['../printf']).message).toMatch(/bare names/);
  });

  it('attack: a printf planted first on PATH runs for execFile("printf"), but never for the runner', async () => {
    const planted = fixtures.scratch('planted');
    const canary = fixtures.scratch('canary');
    writeFileSync(join(planted, 'printf'), `#!/bin/sh\ntouch ${canary}/hijacked\n`);
    chmodSync(join(planted, 'printf'), 0o755);
    const original = process.env.PATH;
    process.env.PATH = `${planted}:${original ?? ''}`;
    try {
      const runner = createRunner({ programs: ['printf'], cwd });
      expect((await runner.run('printf', ['safe'])).stdout).toBe('safe');
      expect(sideEffects(canary)).toEqual([]);
      await new Promise<void>((resolve) => {
        execFile('printf', ['x'], () => {
          resolve();
        });
      });
      expect(sideEffects(canary)).toEqual(['hijacked']);
    } finally {
      process.env.PATH = original;
    }
  });
});

describe('program allowlist at run time', () => {
  const runner = createRunner({ programs: ['printf'], cwd });

  it('attack: refuses any name not on the allowlist: other programs, paths, inherited property names', async () => {
    const attempts: unknown[] = ['rm', 'sh', '/bin/sh', '/usr/bin/printf', '../printf', './printf', 'printf ', 'PRINTF', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 42, null];
    for (const name of attempts) {
      const refused = runner.run(name as 'printf', ['x']);
      await expect(refused, String(name)).rejects.toBeInstanceOf(ProgramNotAllowedError);
      await expect(refused, String(name)).rejects.toMatchObject({ code: 'PROGRAM_NOT_ALLOWED', program: undefined });
    }
  });

  it('never echoes the requested name in the message; an escaped preview is kept for developers', async () => {
    const error = await runner.run('<script>alert(1)</script>\n' as 'printf', ['x']).catch((caught: unknown) => caught);
    if (!(error instanceof ProgramNotAllowedError)) throw new Error('expected ProgramNotAllowedError');
    expect(error.message).not.toContain('script');
    expect(error.preview).toBe(JSON.stringify('<script>alert(1)</script>\n'));
  });

  it('a directory of the search path created after build is never consulted', async () => {
    const late = join(fixtures.scratch('late'), 'bin');
    mkdirSync(late);
    const runner2 = createRunner({ programs: ['printf'], searchPath: [late, '/usr/bin'], cwd });
    writeFileSync(join(late, 'printf'), '#!/bin/sh\nexit 7\n');
    chmodSync(join(late, 'printf'), 0o755);
    expect((await runner2.run('printf', ['still /usr/bin/printf'])).stdout).toBe('still /usr/bin/printf');
  });
});
