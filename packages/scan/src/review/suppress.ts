import type { FileError, Finding, Suppression } from './types.js';

/**
 * Inline suppressions:
 *
 *     // rampart-ignore-next-line sql-injection: the id is an integer parsed by the route schema
 *     db.query(sql);
 *     db.query(sql); // rampart-ignore sql-injection/string-built-query: constant table name
 *
 * (also as block comments). A suppression names rule ids or vulnerability classes (comma-separated) and must give a
 * reason after a colon: a silenced finding with no recorded why is indistinguishable from one silenced to get a build
 * green. A suppression without a reason suppresses nothing and is reported as a `FileError` with its position — an
 * annotation problem in the file, not a vulnerability, so it has no severity and never changes the exit code by
 * itself, but every reporter shows it (SARIF as a tool notification).
 */

/** One parsed suppression comment. */
export interface SuppressionDirective {
  readonly file: string;
  /** Where the comment is (1-based). */
  readonly commentLine: number;
  /** `next-line` applies to the line after the comment; `same-line` to the line it trails. */
  readonly kind: 'next-line' | 'same-line';
  /** Rule ids or classes it names. */
  readonly targets: readonly string[];
  readonly reason: string;
}

const DIRECTIVE = /(\/\/|\/\*)[ \t]*rampart-ignore(-next-line)?(?![\w-])/g;

/**
 * Finds the suppression comments in a file's text. A comment marker inside a string literal is also read as a
 * comment (the scan is by line, not by parse, so cached files need no parse); that can only silence a finding the
 * author chose to silence, never create one.
 */
export function parseSuppressions(file: string, text: string): { directives: SuppressionDirective[]; errors: FileError[] } {
  const directives: SuppressionDirective[] = [];
  const errors: FileError[] = [];
  if (!text.includes('rampart-ignore')) return { directives, errors };
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    for (const match of line.matchAll(DIRECTIVE)) {
      const block = match[1] === '/*';
      const afterMarker = line.slice(match.index + match[0].length);
      const body = block ? afterMarker.split('*/')[0] ?? '' : afterMarker;
      const colon = body.indexOf(':');
      const targetText = colon === -1 ? body : body.slice(0, colon);
      const reason = colon === -1 ? '' : body.slice(colon + 1).trim();
      const targets = targetText.split(',').map((target) => target.trim()).filter((target) => target !== '');
      const commentLine = index + 1;
      const position = { line: commentLine, column: match.index + 1 };
      if (targets.length === 0) {
        errors.push({ file, position, message: 'rampart-ignore names no rule: write "rampart-ignore <rule-id or class>: <why this is safe>"' });
        continue;
      }
      if (reason === '') {
        errors.push({ file, position, message: `rampart-ignore ${targets.join(', ')} has no reason and suppresses nothing: add ": <why this is safe>"` });
        continue;
      }
      directives.push({ file, commentLine, kind: match[2] === undefined ? 'same-line' : 'next-line', targets, reason });
    }
  });
  return { directives, errors };
}

function applies(directive: SuppressionDirective, finding: Finding): string | undefined {
  const { start, end } = finding.range;
  const placed = directive.kind === 'next-line'
    ? directive.commentLine + 1 === start.line
    : directive.commentLine >= start.line && directive.commentLine <= end.line;
  if (!placed) return undefined;
  return directive.targets.find((target) => target === finding.ruleId || target === finding.class);
}

/**
 * Splits findings into those reported and those silenced by a suppression with a reason. A finding is suppressed by a
 * `next-line` comment on the line before its range starts, or a trailing comment on a line of its range, naming its
 * rule id or its class.
 */
export function applySuppressions(
  findings: readonly Finding[],
  directivesByFile: ReadonlyMap<string, readonly SuppressionDirective[]>,
): { findings: Finding[]; suppressed: { finding: Finding; suppression: Suppression }[] } {
  const kept: Finding[] = [];
  const suppressed: { finding: Finding; suppression: Suppression }[] = [];
  for (const finding of findings) {
    let match: { finding: Finding; suppression: Suppression } | undefined;
    for (const directive of directivesByFile.get(finding.range.file) ?? []) {
      const target = applies(directive, finding);
      if (target !== undefined) {
        match = { finding, suppression: { file: directive.file, line: directive.commentLine, ruleId: target, reason: directive.reason } };
        break;
      }
    }
    if (match === undefined) kept.push(finding);
    else suppressed.push(match);
  }
  return { findings: kept, suppressed };
}
