import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectSourceFiles, countLines, isSourceFileName, looksMinified, parseReviewIgnore, ReviewIgnoreError, ReviewPathError } from './files.js';

const temps: string[] = [];

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'rampart-files-'));
  temps.push(root);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
}

afterEach(() => {
  for (const root of temps.splice(0)) rmSync(root, { recursive: true, force: true });
});

const names = (root: string, paths?: string[]) => collectSourceFiles({ root, ...(paths === undefined ? {} : { paths }) }).sources.map((s) => s.file);

describe('collectSourceFiles', () => {
  it('takes the TS/JS extensions, leaves out declarations, minified bundles and other files', () => {
    const root = tree({
      'a.ts': 'x', 'b.tsx': 'x', 'c.js': 'x', 'd.jsx': 'x', 'e.mjs': 'x', 'f.cjs': 'x',
      'types.d.ts': 'x', 'vendor.min.js': 'x', 'README.md': 'x', 'data.json': '{}',
      'bundle.js': `var a=${'1+'.repeat(3000)}1;`,
    });
    expect(names(root)).toEqual(['a.ts', 'b.tsx', 'c.js', 'd.jsx', 'e.mjs', 'f.cjs']);
  });

  it('skips dependency and build directories wherever they are', () => {
    const root = tree({
      'src/app.ts': 'x',
      'node_modules/lib/index.js': 'x', 'src/node_modules/x.js': 'x', 'dist/app.js': 'x', 'build/a.js': 'x',
      'coverage/c.js': 'x', '.next/n.js': 'x', 'out/o.js': 'x', '.git/hooks/h.js': 'x',
    });
    expect(names(root)).toEqual(['src/app.ts']);
  });

  it('respects .gitignore files, nested ones only in their subtree', () => {
    const root = tree({
      '.gitignore': 'generated/\n*.gen.ts\n',
      'src/app.ts': 'x', 'src/app.gen.ts': 'x', 'generated/g.ts': 'x',
      'pkg/.gitignore': 'local.ts\n/fixtures\n',
      'pkg/local.ts': 'x', 'pkg/kept.ts': 'x', 'pkg/fixtures/f.ts': 'x', 'pkg/sub/fixtures/f.ts': 'x',
      'other/local.ts': 'x',
    });
    expect(names(root)).toEqual(['other/local.ts', 'pkg/kept.ts', 'pkg/sub/fixtures/f.ts', 'src/app.ts']);
    // The same rules apply when reviewing a subdirectory, including the root's .gitignore above it.
    expect(names(root, [join(root, 'pkg')])).toEqual(['pkg/kept.ts', 'pkg/sub/fixtures/f.ts']);
    expect(names(root, [join(root, 'src')])).toEqual(['src/app.ts']);
  });

  it('reviews a file named explicitly even when ignored, and reports paths relative to the root with /', () => {
    const root = tree({ '.gitignore': '*.gen.ts\n', 'src/deep/x.gen.ts': 'x' });
    expect(names(root)).toEqual([]);
    expect(collectSourceFiles({ root, cwd: root, paths: ['src/deep/x.gen.ts'] }).sources.map((s) => s.file)).toEqual(['src/deep/x.gen.ts']);
  });

  it('does not follow symbolic links out of the root, follows those inside once, survives cycles', () => {
    const outside = tree({ 'secret.ts': 'x', 'dir/leak.ts': 'x' });
    const root = tree({ 'src/app.ts': 'x', 'lib/util.ts': 'x' });
    symlinkSync(join(outside, 'secret.ts'), join(root, 'src/secret.ts'));
    symlinkSync(join(outside, 'dir'), join(root, 'src/outside-dir'));
    symlinkSync(join(root, 'lib'), join(root, 'src/lib-link'));
    symlinkSync(root, join(root, 'src/loop'));
    symlinkSync(join(root, 'missing.ts'), join(root, 'src/dangling.ts'));
    const found = names(root);
    expect(found).toEqual(['lib/util.ts', 'src/app.ts']);
    expect(found.some((file) => file.includes('secret') || file.includes('leak'))).toBe(false);
  });

  it('turns unreadable files into FileErrors and goes on', () => {
    const root = tree({ 'a.ts': 'x', 'locked.ts': 'x' });
    chmodSync(join(root, 'locked.ts'), 0o000);
    const collected = collectSourceFiles({ root });
    chmodSync(join(root, 'locked.ts'), 0o600);
    if (process.getuid?.() === 0) {
      // root reads anything; the file is then simply reviewed
      expect(collected.sources.map((s) => s.file)).toEqual(['a.ts', 'locked.ts']);
    } else {
      expect(collected.sources.map((s) => s.file)).toEqual(['a.ts']);
      expect(collected.errors).toEqual([{ file: 'locked.ts', message: 'cannot read: EACCES' }]);
    }
  });

  it('refuses paths that do not exist, lie outside the root, or are not sources', () => {
    const root = tree({ 'a.ts': 'x', 'notes.txt': 'x' });
    expect(() => collectSourceFiles({ root, paths: ['missing'] })).toThrow(ReviewPathError);
    expect(() => collectSourceFiles({ root, paths: [tmpdir()] })).toThrow(/outside the review root/);
    expect(() => collectSourceFiles({ root, paths: ['notes.txt'] })).toThrow(/not a TypeScript\/JavaScript source/);
    expect(() => collectSourceFiles({ root: join(root, 'nope') })).toThrow(/does not exist/);
  });
});

describe('.rampart-review-ignore', () => {
  const IGNORE = [
    '# Deliberately vulnerable code, kept out of the review of this package.',
    '',
    'corpus/**   # the cases the review bench scores',
    'samples/*.vuln.ts # attack samples the tests run against',
    '!samples/kept.vuln.ts  # this one is real code',
  ].join('\n');

  it('leaves out what its patterns match in its own subtree, and counts the files per ignore file', () => {
    const root = tree({
      'pkg/.rampart-review-ignore': IGNORE,
      'pkg/src/app.ts': 'x',
      'pkg/corpus/a/case.ts': 'x', 'pkg/corpus/b/case.js': 'x', 'pkg/corpus/b/notes.md': 'x',
      'pkg/samples/x.vuln.ts': 'x', 'pkg/samples/kept.vuln.ts': 'x',
      'other/corpus/c.ts': 'x',
      '.gitignore': 'pkg/corpus/b/\n',
    });
    const collected = collectSourceFiles({ root });
    expect(collected.sources.map((s) => s.file)).toEqual(['other/corpus/c.ts', 'pkg/samples/kept.vuln.ts', 'pkg/src/app.ts']);
    // A .gitignore'd file is not counted: it was never a candidate.
    expect(collected.ignored).toEqual([{ ignoreFile: 'pkg/.rampart-review-ignore', files: 2 }]);
    // Reviewing inside the subtree, the ignore file above applies; a file named explicitly is still reviewed.
    expect(collectSourceFiles({ root, paths: [join(root, 'pkg/corpus')] })).toMatchObject({ sources: [], ignored: [{ ignoreFile: 'pkg/.rampart-review-ignore', files: 1 }] });
    expect(names(root, [join(root, 'pkg/corpus/a/case.ts')])).toEqual(['pkg/corpus/a/case.ts']);
  });

  it('refuses a pattern without a reason, naming the file and line', () => {
    const root = tree({ 'pkg/.rampart-review-ignore': `${IGNORE}\nfixtures/\n`, 'pkg/a.ts': 'x' });
    expect(() => collectSourceFiles({ root })).toThrow(ReviewIgnoreError);
    expect(() => collectSourceFiles({ root })).toThrow('pkg/.rampart-review-ignore:6: "fixtures/" has no reason');
    expect(() => parseReviewIgnore('x', 'a.ts #')).toThrow(/x:1: "a.ts" has no reason/);
    expect(parseReviewIgnore('x', 'a#b.ts  # a hash inside a pattern is part of it\n  # an indented comment\n')).toEqual(['a#b.ts']);
  });
});

describe('helpers', () => {
  it('names, minified text and line counts', () => {
    expect(isSourceFileName('x.d.ts')).toBe(false);
    expect(isSourceFileName('x.min.cjs')).toBe(false);
    expect(isSourceFileName('x.mts')).toBe(false);
    expect(looksMinified('short\nlines\n')).toBe(false);
    expect(looksMinified(`ok\n${'a'.repeat(2001)}`)).toBe(true);
    expect(countLines('')).toBe(0);
    expect(countLines('a')).toBe(1);
    expect(countLines('a\nb\n')).toBe(2);
    expect(countLines('a\nb')).toBe(2);
  });
});
