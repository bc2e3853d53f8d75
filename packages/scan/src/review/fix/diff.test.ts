// The dry-run diff must be a patch the usual tools apply: checked against `diff -u` and applied with `patch -p1` on
// real files, for separate and merged hunks, insertions and a last line without a newline.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unifiedDiff } from './diff.js';
import { applyEdits, editsOverlap, LineIndex, type OffsetEdit } from './text.js';

const temp = mkdtempSync(join(tmpdir(), 'rampart-diff-'));
afterAll(() => {
  rmSync(temp, { recursive: true, force: true });
});

const lines = (count: number, last = '\n') => Array.from({ length: count }, (_, index) => `line ${index + 1}`).join('\n') + last;

/** An edit replacing the first occurrence of `find` in `text`. */
function replace(text: string, find: string, by: string): OffsetEdit {
  const start = text.indexOf(find);
  if (start === -1) throw new Error(`${find} not in text`);
  return { start, end: start + find.length, text: by };
}

let cases = 0;
/** Writes `before`, applies our diff with patch -p1, and returns the patched text and `diff -u`'s hunks. */
function patchWith(before: string, edits: readonly OffsetEdit[]): { patched: string; ours: string; theirs: string } {
  const dir = join(temp, `c${++cases}`);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'src/app.ts'), before);
  writeFileSync(join(dir, 'after.ts'), applyEdits(before, edits));
  const ours = unifiedDiff('src/app.ts', before, edits);
  const theirs = spawnSync('diff', ['-u', 'src/app.ts', 'after.ts'], { cwd: dir, encoding: 'utf8' }).stdout;
  execFileSync('patch', ['-p1', '--quiet', '--input', '-'], { cwd: dir, input: ours });
  return { patched: readFileSync(join(dir, 'src/app.ts'), 'utf8'), ours, theirs };
}

const hunks = (diff: string) => diff.split('\n').filter((line) => !line.startsWith('---') && !line.startsWith('+++')).join('\n');

describe('unifiedDiff', () => {
  it('separate hunks far apart, merged hunks close together: the same hunks as diff -u, and patch applies them', () => {
    const before = lines(40);
    const edits = [replace(before, 'line 3\n', 'line three\n'), replace(before, 'line 20', 'line twenty'), replace(before, 'line 24', 'line 24\nline 24b')];
    const { patched, ours, theirs } = patchWith(before, edits);
    expect(patched).toBe(applyEdits(before, edits));
    expect(ours.match(/^@@/gm)).toHaveLength(2);
    expect(hunks(ours)).toBe(hunks(theirs));
  });

  it('a last line without a newline is marked, and insertions at one point keep their order', () => {
    const before = lines(5, '');
    const at = before.indexOf('line 5') + 'line 5'.length;
    const edits = [{ start: at, end: at, text: ' + a' }, { start: at, end: at, text: ' + b' }];
    expect(applyEdits(before, edits).endsWith('line 5 + a + b')).toBe(true);
    const { patched, ours, theirs } = patchWith(before, edits);
    expect(ours).toContain('\\ No newline at end of file');
    expect(patched).toBe(applyEdits(before, edits));
    expect(hunks(ours)).toBe(hunks(theirs));
  });

  it('is empty when nothing changes', () => {
    expect(unifiedDiff('a.ts', 'x\n', [{ start: 0, end: 1, text: 'x' }])).toBe('');
  });
});

describe('positions and edits', () => {
  it('converts 1-based positions and offsets the way the parser counts lines (\\r\\n, \\r, U+2028)', () => {
    const text = 'a\r\nbc\rd\u2028ef';
    const index = new LineIndex(text);
    expect(index.offsetOf({ line: 2, column: 2 })).toBe(4);
    expect(index.offsetOf({ line: 4, column: 1 })).toBe(8);
    expect(index.positionOf(9)).toEqual({ line: 4, column: 2 });
    expect(index.offsetOf({ line: 9, column: 1 })).toBeUndefined();
  });

  it('overlap: replacements sharing characters overlap; insertions at a point or at a replacement\'s edge do not', () => {
    expect(editsOverlap({ start: 0, end: 5, text: '' }, { start: 4, end: 6, text: '' })).toBe(true);
    expect(editsOverlap({ start: 0, end: 5, text: '' }, { start: 5, end: 6, text: '' })).toBe(false);
    expect(editsOverlap({ start: 3, end: 3, text: 'x' }, { start: 3, end: 3, text: 'y' })).toBe(false);
    expect(editsOverlap({ start: 3, end: 3, text: 'x' }, { start: 0, end: 5, text: '' })).toBe(true);
    expect(editsOverlap({ start: 5, end: 5, text: 'x' }, { start: 0, end: 5, text: '' })).toBe(false);
  });
});
