import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorpusError, loadCorpus } from './manifest.js';

let root: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

const VULNERABLE_CODE = "import { exec } from 'node:child_process';\n\nexport const run = (req) => exec('ls ' + req.query.dir);\n";
const SAFE_CODE = "import { execFile } from 'node:child_process';\n\nexport const run = (req) => execFile('ls', [req.query.dir]);\n";

function writePair(overrides: { vulnerable?: string; safe?: string } = {}): void {
  write(
    'command-injection/001-ls/case.yaml',
    overrides.vulnerable ??
      'class: command-injection\nframework: express\nflow: direct\nvulnerable: true\ntwin: 002-ls-safe\nexpect:\n  - { file: src/run.js, line: 3 }\ndescription: ls with a directory from the query.\n',
  );
  write('command-injection/001-ls/src/run.js', VULNERABLE_CODE);
  write(
    'command-injection/002-ls-safe/case.yaml',
    overrides.safe ?? 'class: command-injection\nframework: express\nflow: direct\nvulnerable: false\ntwin: 001-ls\ndescription: execFile.\n',
  );
  write('command-injection/002-ls-safe/src/run.js', SAFE_CODE);
}

function problemsOf(): readonly string[] {
  try {
    loadCorpus(root);
  } catch (error) {
    if (error instanceof CorpusError) return error.problems;
    throw error;
  }
  return [];
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'rampart-corpus-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('loadCorpus', () => {
  it('loads a consistent pair with its files and resolved twin ids', () => {
    writePair();
    const cases = loadCorpus(root);
    expect(cases.map((c) => c.id)).toEqual(['command-injection/001-ls', 'command-injection/002-ls-safe']);
    expect(cases[0]).toMatchObject({
      class: 'command-injection',
      framework: 'express',
      flow: 'direct',
      vulnerable: true,
      twin: 'command-injection/002-ls-safe',
      expect: [{ file: 'src/run.js', line: 3 }],
      files: [{ file: 'src/run.js', text: VULNERABLE_CODE }],
    });
    expect(cases[1]?.expect).toEqual([]);
  });

  it('refuses an unknown class, framework and flow, naming each', () => {
    writePair({
      vulnerable:
        'class: sqli\nframework: rails\nflow: teleport\nvulnerable: true\ntwin: 002-ls-safe\nexpect:\n  - { file: src/run.js, line: 3 }\ndescription: x\n',
    });
    const problems = problemsOf().join('\n');
    expect(problems).toContain('unknown class "sqli"');
    expect(problems).toContain('unknown framework "rails"');
    expect(problems).toContain('unknown flow "teleport"');
  });

  it('refuses an expect line past the end of its file and a file that is not in the case', () => {
    writePair({
      vulnerable:
        'class: command-injection\nframework: express\nflow: direct\nvulnerable: true\ntwin: 002-ls-safe\nexpect:\n  - { file: src/run.js, line: 40 }\n  - { file: src/other.js, line: 1 }\ndescription: x\n',
    });
    const problems = problemsOf().join('\n');
    expect(problems).toContain('src/run.js:40 is past the end of the file');
    expect(problems).toContain('expect names src/other.js, which is not in the case');
  });

  it('refuses a safe case with expect lines and a vulnerable case without', () => {
    writePair({
      vulnerable: 'class: command-injection\nframework: express\nflow: direct\nvulnerable: true\ntwin: 002-ls-safe\ndescription: x\n',
      safe:
        'class: command-injection\nframework: express\nflow: direct\nvulnerable: false\ntwin: 001-ls\nexpect:\n  - { file: src/run.js, line: 3 }\ndescription: x\n',
    });
    const problems = problemsOf().join('\n');
    expect(problems).toContain('001-ls: a vulnerable case must list its sink lines');
    expect(problems).toContain('002-ls-safe: a safe case must not have expect lines');
  });

  it('refuses a missing twin and a twin that does not point back', () => {
    writePair({ safe: 'class: command-injection\nframework: express\nflow: direct\nvulnerable: false\ntwin: 009-other\ndescription: x\n' });
    const problems = problemsOf().join('\n');
    expect(problems).toContain('002-ls-safe: twin command-injection/009-other does not exist');
    expect(problems).toContain('001-ls: twin command-injection/002-ls-safe names command-injection/009-other as its twin');
  });

  it('refuses a class that does not match its directory, and non-source files', () => {
    writePair({
      safe: 'class: code-injection\nframework: express\nflow: direct\nvulnerable: false\ntwin: 001-ls\ndescription: x\n',
    });
    write('command-injection/001-ls/notes.txt', 'scratch');
    const problems = problemsOf().join('\n');
    expect(problems).toContain('class code-injection does not match its directory command-injection');
    expect(problems).toContain('notes.txt is not a source file');
  });
});
