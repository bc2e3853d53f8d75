/**
 * Unified diffs of fixes (`--fix --dry-run`): built from the edits themselves rather than by comparing texts, so the
 * hunks are exactly the lines a fix touches, with three lines of context — output `git apply` and `patch -p1` take.
 */
import { applyEdits, type OffsetEdit } from './text.js';

interface Line {
  readonly content: string;
  readonly newline: boolean;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (;;) {
    const newline = text.indexOf('\n', start);
    if (newline === -1) {
      if (start < text.length) lines.push({ content: text.slice(start), newline: false });
      return lines;
    }
    lines.push({ content: text.slice(start, newline), newline: true });
    start = newline + 1;
  }
}

interface Group {
  first: number;
  last: number;
  readonly edits: OffsetEdit[];
}

/**
 * The unified diff of applying `edits` (non-overlapping) to `before`, with `a/` and `b/` prefixes on `file`; empty
 * when the edits change nothing.
 */
export function unifiedDiff(file: string, before: string, edits: readonly OffsetEdit[], context = 3): string {
  const starts = [0];
  for (let index = before.indexOf('\n'); index !== -1; index = before.indexOf('\n', index + 1)) starts.push(index + 1);
  const oldLines = splitLines(before);
  const lastLine = Math.max(0, oldLines.length - 1);
  const lineOf = (offset: number): number => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((starts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return Math.min(low, lastLine);
  };

  const groups: Group[] = [];
  for (const edit of [...edits].sort((a, b) => a.start - b.start || a.end - b.end)) {
    const first = lineOf(edit.start);
    const last = edit.end > edit.start ? lineOf(edit.end - 1) : first;
    const current = groups[groups.length - 1];
    if (current !== undefined && first <= current.last + 1) {
      current.last = Math.max(current.last, last);
      current.edits.push(edit);
    } else {
      groups.push({ first, last, edits: [edit] });
    }
  }

  const same = (a: Line | undefined, b: Line | undefined): boolean => a !== undefined && b !== undefined && a.content === b.content && a.newline === b.newline;
  const changed = groups.map((group) => {
    const segmentStart = starts[group.first] ?? before.length;
    const segmentEnd = starts[group.last + 1] ?? before.length;
    const after = applyEdits(before.slice(segmentStart, segmentEnd), group.edits.map((edit) => ({ ...edit, start: edit.start - segmentStart, end: edit.end - segmentStart })));
    const removed = oldLines.slice(group.first, group.last + 1);
    const added = splitLines(after);
    // Lines an edit left as they were are context, as diff -u shows them (an insertion after a line keeps that line).
    while (same(removed[0], added[0])) {
      removed.shift();
      added.shift();
      group.first++;
    }
    while (same(removed[removed.length - 1], added[added.length - 1])) {
      removed.pop();
      added.pop();
      group.last--;
    }
    return { group, removed, added };
  }).filter((change) => change.removed.length > 0 || change.added.length > 0);
  if (changed.length === 0) return '';

  const out: string[] = [`--- a/${file}`, `+++ b/${file}`];
  const emit = (prefix: string, line: Line): void => {
    out.push(`${prefix}${line.content}`);
    if (!line.newline) out.push('\\ No newline at end of file');
  };
  let delta = 0;
  let index = 0;
  while (index < changed.length) {
    let end = index;
    while (end + 1 < changed.length && (changed[end + 1]?.group.first ?? 0) - context <= (changed[end]?.group.last ?? 0) + context + 1) end++;
    const hunk = changed.slice(index, end + 1);
    const firstChange = hunk[0];
    const lastChange = hunk[hunk.length - 1];
    if (firstChange === undefined || lastChange === undefined) break;
    const oldStart = Math.max(0, firstChange.group.first - context);
    const oldEnd = Math.min(lastLine, lastChange.group.last + context);
    const body: string[] = [];
    const bodyOut = out.length;
    let oldCount = 0;
    let newCount = 0;
    let cursor = oldStart;
    for (const change of hunk) {
      for (; cursor < change.group.first; cursor++) {
        const line = oldLines[cursor];
        if (line !== undefined) {
          emit(' ', line);
          oldCount++;
          newCount++;
        }
      }
      for (const line of change.removed) emit('-', line);
      for (const line of change.added) emit('+', line);
      oldCount += change.removed.length;
      newCount += change.added.length;
      cursor = change.group.last + 1;
    }
    for (; cursor <= oldEnd; cursor++) {
      const line = oldLines[cursor];
      if (line !== undefined) {
        emit(' ', line);
        oldCount++;
        newCount++;
      }
    }
    body.push(...out.splice(bodyOut));
    out.push(`@@ -${oldStart + 1},${oldCount} +${oldStart + 1 + delta},${newCount} @@`, ...body);
    delta += newCount - oldCount;
    index = end + 1;
  }
  return `${out.join('\n')}\n`;
}
