/**
 * Positions and edits on a file's text. Findings speak in 1-based lines and columns (UTF-16 code units, as Babel
 * counts them); edits are applied on offsets, so both directions must agree with the parser's idea of a line break,
 * or an edit would land a few characters off and corrupt the code it meant to secure.
 */
import type { SourcePosition, SourceRange } from '../types.js';

/** Babel's line terminators: `\r\n`, `\n`, `\r`, U+2028, U+2029. */
const LINE_BREAK = /\r\n|[\n\r\u2028\u2029]/g;

/** Offsets of each line's first character, for position ↔ offset conversion. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (const match of text.matchAll(LINE_BREAK)) this.starts.push(match.index + match[0].length);
  }

  /** The offset of a 1-based line/column, or undefined when the text has no such place. */
  offsetOf(position: SourcePosition): number | undefined {
    const lineStart = this.starts[position.line - 1];
    if (lineStart === undefined || position.column < 1) return undefined;
    const offset = lineStart + position.column - 1;
    const lineEnd = this.starts[position.line] ?? this.text.length;
    return offset > lineEnd ? undefined : offset;
  }

  /** The 1-based line/column of an offset. */
  positionOf(offset: number): SourcePosition {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.starts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - (this.starts[low] ?? 0) + 1 };
  }

  /** A range in `file` for the offsets `[start, end)`. */
  rangeOf(file: string, start: number, end: number): SourceRange {
    return { file, start: this.positionOf(start), end: this.positionOf(end) };
  }
}

/** One replacement on offsets: `[start, end)` becomes `text` (an insertion when start = end). */
export interface OffsetEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** True when two edits touch the same characters. Two insertions at one point do not: both are kept, in order. */
export function editsOverlap(a: OffsetEdit, b: OffsetEdit): boolean {
  // An insertion at p overlaps a replacement only strictly inside it; two insertions at p never do.
  return a.start < b.end && b.start < a.end;
}

/** Applies non-overlapping edits (the caller checked); insertions at one point keep the order they were given in. */
export function applyEdits(text: string, edits: readonly OffsetEdit[]): string {
  const ordered = edits.map((edit, order) => ({ edit, order })).sort((a, b) => a.edit.start - b.edit.start || a.edit.end - b.edit.end || a.order - b.order);
  let out = '';
  let cursor = 0;
  for (const { edit } of ordered) {
    out += text.slice(cursor, edit.start) + edit.text;
    cursor = Math.max(cursor, edit.end);
  }
  return out + text.slice(cursor);
}

/** A JavaScript string literal of `value` in the given quote, escaped so it means exactly `value`. */
export function quoteString(value: string, quote: "'" | '"'): string {
  let out = quote;
  for (const char of value) {
    if (char === '\\') out += '\\\\';
    else if (char === quote) out += `\\${quote}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\u2028') out += '\\u2028';
    else if (char === '\u2029') out += '\\u2029';
    else out += char;
  }
  return out + quote;
}

/** A template literal without substitutions that means exactly `value` (backslashes, backticks and `${` escaped). */
export function quoteTemplate(value: string): string {
  return `\`${value.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${')}\``;
}
