import { codeFrameColumns } from '@babel/code-frame';
import { SEVERITIES, type FileError, type Finding, type Severity } from '../types.js';
import type { ReviewReport } from './report.js';

export interface TextReportOptions {
  /** ANSI colour; callers pass true only for a TTY without `NO_COLOR` (see `wantsColor`). */
  readonly color: boolean;
  /** The text of a reviewed file, for code frames; undefined leaves the frame out. */
  readonly readSource?: (file: string) => string | undefined;
}

/**
 * Whether terminal output should be coloured: only on a TTY, and never when `NO_COLOR` is set to anything non-empty
 * (https://no-color.org). Escape codes in a file or a CI log are noise that hides the finding.
 */
export function wantsColor(isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  return isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

type Paint = (text: string) => string;

function painter(color: boolean, open: number, close: number): Paint {
  return color ? (text) => `\u001b[${open}m${text}\u001b[${close}m` : (text) => text;
}

const SEVERITY_COLOR: Readonly<Record<Severity, number>> = { critical: 35, high: 31, medium: 33, low: 36, note: 90 };

const at = (file: string, line: number, column: number): string => `${file}:${line}:${column}`;

function frame(finding: Finding, options: TextReportOptions): string | undefined {
  const text = options.readSource?.(finding.range.file);
  if (text === undefined) return undefined;
  const { start, end } = finding.range;
  try {
    return codeFrameColumns(text, { start, end }, { highlightCode: options.color, forceColor: options.color, linesAbove: 2, linesBelow: 1 });
  } catch {
    return undefined; // a range the text does not have (the file changed since the review): no frame rather than a wrong one
  }
}

function findingBlock(finding: Finding, options: TextReportOptions): string[] {
  const bold = painter(options.color, 1, 22);
  const dim = painter(options.color, 2, 22);
  const severity = painter(options.color, SEVERITY_COLOR[finding.severity], 39);
  const { file, start } = finding.range;
  const lines = [`${severity(bold(finding.severity.toUpperCase()))} ${bold(finding.ruleId)}  ${at(file, start.line, start.column)}`, `  ${finding.message}`];
  const code = frame(finding, options);
  if (code !== undefined) lines.push('', ...code.split('\n').map((line) => `  ${line}`), '');
  if (finding.flow.length > 0) {
    lines.push('  Flow:');
    finding.flow.forEach((step, index) => {
      lines.push(`    ${index + 1}. ${dim(at(step.range.file, step.range.start.line, step.range.start.column))}  ${step.message}`);
    });
  }
  lines.push(`  Fix: ${finding.fixGuidance}`);
  lines.push(dim(`  ${finding.cwe} · ${finding.owasp} · confidence ${finding.confidence} · ${finding.class}`));
  return lines;
}

function errorLine(error: FileError): string {
  const where = error.position === undefined ? error.file : at(error.file, error.position.line, error.position.column);
  return `error: ${where}: ${error.message}`;
}

const plural = (count: number, one: string, many = `${one}s`): string => `${count} ${count === 1 ? one : many}`;

/** The one-line summary that ends every text report (and that CI logs are searched for). */
export function summaryLine(report: ReviewReport): string {
  const { result } = report;
  const bySeverity = [...SEVERITIES].reverse()
    .map((severity) => [severity, result.findings.filter((finding) => finding.severity === severity).length] as const)
    .filter(([, count]) => count > 0)
    .map(([severity, count]) => `${count} ${severity}`);
  const found = result.findings.length === 0 ? 'no findings' : `${plural(result.findings.length, 'finding')} (${bySeverity.join(', ')})`;
  const parts = [`${found} in ${plural(result.filesReviewed, 'file')} (${plural(result.linesReviewed, 'line')})`];
  if (result.suppressed.length > 0) parts.push(`${result.suppressed.length} suppressed`);
  if (report.baseline !== undefined) parts.push(`${report.baseline.baselined} baselined, ${report.baseline.fixed} fixed since the baseline`);
  if (report.belowThreshold !== undefined && report.belowThreshold > 0) parts.push(`${report.belowThreshold} below the severity threshold`);
  if (result.errors.length > 0) parts.push(plural(result.errors.length, 'file error'));
  for (const { ignoreFile, files } of report.ignored ?? []) parts.push(`${plural(files, 'file')} ignored by ${ignoreFile}`);
  if (report.fixes !== undefined) {
    const { fixed, unfixed, dryRun } = report.fixes;
    parts.push(`${dryRun ? `${fixed.length} fixable (dry run, nothing written)` : `${fixed.length} fixed`}, ${unfixed.length} not fixable`);
  }
  return `rampart review: ${parts.join('; ')}`;
}

/**
 * What `--fix` did, one line per finding: `fixed <place> <rule>: <what changed>` or `not fixed <place> <rule>: <why>`.
 * The reasons matter: a finding left alone is one a person must fix, and the line says what made the rewrite unsafe.
 */
export function formatFixes(fixes: NonNullable<ReviewReport['fixes']>): string {
  const place = (finding: Finding): string => `${at(finding.range.file, finding.range.start.line, finding.range.start.column)} ${finding.ruleId}`;
  const lines = [
    ...fixes.fixed.map(({ finding, description }) => `${fixes.dryRun ? 'would fix' : 'fixed'} ${place(finding)}: ${description}`),
    ...fixes.unfixed.map(({ finding, reason }) => `not fixed ${place(finding)}: ${reason}`),
  ];
  return lines.length === 0 ? 'rampart review --fix: nothing to fix\n' : `${lines.join('\n')}\n`;
}

/**
 * The human report: each finding with its rule, place, a code frame of the sink, the flow from source to sink as
 * numbered steps and the fix; then file errors; then the summary line.
 */
export function formatText(report: ReviewReport, options: TextReportOptions): string {
  const blocks = report.result.findings.map((finding) => findingBlock(finding, options).join('\n'));
  const errors = report.result.errors.map(errorLine);
  const sections = [...blocks];
  if (errors.length > 0) sections.push(errors.join('\n'));
  sections.push(summaryLine(report));
  return `${sections.join('\n\n')}\n`;
}
