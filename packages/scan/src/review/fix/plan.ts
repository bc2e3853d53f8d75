/**
 * Choosing the fix for one finding: find the call the finding points at in the parsed file, hand it to the fixer of
 * its class, and fall back to (or prefer) the engine's own `finding.fix`. Every answer is edits on offsets in the
 * finding's file, or a reason the finding is left for a person.
 */
import type * as t from '@babel/types';
import type { Finding, VulnerabilityClass } from '../types.js';
import { findCallAt } from './ast.js';
import { refuse, type FixAttempt, type FixContext } from './attempt.js';
import { fixCommandInjection } from './exec.js';
import { fixInsecureCookie } from './cookie.js';
import { fixJwtMisuse } from './jwt.js';
import { fixSqlInjection } from './sql.js';
import { LineIndex, type OffsetEdit } from './text.js';

type Fixer = (context: FixContext) => FixAttempt;

const FIXERS: Partial<Record<VulnerabilityClass, Fixer>> = {
  'sql-injection': fixSqlInjection,
  'command-injection': fixCommandInjection,
  'jwt-misuse': fixJwtMisuse,
  'insecure-cookie': fixInsecureCookie,
};

/** The vulnerability classes `--fix` has mechanical fixes for. */
export const FIXABLE_CLASSES: readonly VulnerabilityClass[] = Object.keys(FIXERS) as VulnerabilityClass[];

/** A parsed file, as the planner needs it. */
export interface FixableFile {
  readonly file: string;
  readonly text: string;
  readonly ast: t.File;
  readonly lines: LineIndex;
}

/** The engine's fix for the finding, on offsets; undefined when it has none or it does not fit the text. */
function engineEdits(finding: Finding, source: FixableFile): { description: string; edits: OffsetEdit[] } | undefined {
  const fix = finding.fix;
  if (fix === undefined) return undefined;
  const edits: OffsetEdit[] = [];
  for (const edit of fix.edits) {
    if (edit.range.file !== source.file) return undefined;
    const start = source.lines.offsetOf(edit.range.start);
    const end = source.lines.offsetOf(edit.range.end);
    if (start === undefined || end === undefined || end < start) return undefined;
    edits.push({ start, end, text: edit.text });
  }
  return { description: fix.description, edits };
}

/**
 * The fix for one finding in its file, or the reason there is none. `related` gives the AST of another reviewed file
 * (a fixer may look one import away, e.g. for the database driver behind an imported pool).
 */
export function planFix(finding: Finding, source: FixableFile, related: (file: string) => t.File | undefined): FixAttempt {
  const fixer = FIXERS[finding.class];
  const engine = engineEdits(finding, source);
  if (fixer === undefined) return engine === undefined ? refuse(`no mechanical fix for ${finding.class}`) : { kind: 'fix', ...engine };
  const start = source.lines.offsetOf(finding.range.start);
  const end = source.lines.offsetOf(finding.range.end);
  const call = start === undefined || end === undefined ? undefined : findCallAt(source.ast, start, end);
  if (call === undefined) return engine === undefined ? refuse('no call at the finding\'s place (has the file changed since the review?)') : { kind: 'fix', ...engine };
  const attempt = fixer({ finding, file: source.file, text: source.text, ast: source.ast, call, related });
  if (engine !== undefined && (attempt.kind === 'refused' || attempt.overridesEngineFix !== true)) return { kind: 'fix', ...engine };
  return attempt;
}
