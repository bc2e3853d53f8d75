/** Source positions and text of AST nodes, as findings show them. */
import type { Node } from '@babel/types';
import type { SourceRange } from '../types.js';

const MAX_TEXT = 160;

/** The node's span (1-based line and column, end exclusive). */
export function rangeOf(file: string, node: Node): SourceRange {
  const loc = node.loc;
  if (loc === null || loc === undefined) return { file, start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };
  return {
    file,
    start: { line: loc.start.line, column: loc.start.column + 1 },
    end: { line: loc.end.line, column: loc.end.column + 1 },
  };
}

/** The node's source text, whitespace collapsed and shortened for messages. */
export function textOf(source: string, node: Node): string {
  const start = node.start ?? 0;
  const end = node.end ?? start;
  const text = source.slice(start, Math.min(end, start + MAX_TEXT * 4)).replace(/\s+/g, ' ').trim();
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/** Raw source text of a node (bounded), for receiver patterns. */
export function rawTextOf(source: string, node: Node): string {
  const start = node.start ?? 0;
  const end = node.end ?? start;
  return source.slice(start, Math.min(end, start + 400));
}
