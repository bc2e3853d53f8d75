import type { Finding } from '../types.js';
import type { ReviewReport } from './report.js';
import { TOOL_NAME, TOOL_VERSION } from './version.js';

function place(finding: Finding): { ruleId: string; file: string; line: number; column: number; fingerprint: string } {
  return { ruleId: finding.ruleId, file: finding.range.file, line: finding.range.start.line, column: finding.range.start.column, fingerprint: finding.fingerprint };
}

/**
 * The machine-readable report: the `ReviewResult` (findings, suppressed findings with their suppressions, file errors,
 * counts) plus the tool and version, the baseline counts when one was applied, the files `.rampart-review-ignore` left out, and
 * what `--fix` did. Keys in a fixed order, so two
 * reports of the same code are byte-identical.
 */
export function formatJson(report: ReviewReport): string {
  const { result } = report;
  const document = {
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    findings: result.findings,
    suppressed: result.suppressed,
    errors: result.errors,
    filesReviewed: result.filesReviewed,
    linesReviewed: result.linesReviewed,
    ...(report.baseline === undefined ? {} : { baseline: report.baseline }),
    ...(report.belowThreshold === undefined ? {} : { belowThreshold: report.belowThreshold }),
    ...(report.ignored === undefined || report.ignored.length === 0 ? {} : { ignored: report.ignored }),
    ...(report.fixes === undefined
      ? {}
      : {
          fixes: {
            dryRun: report.fixes.dryRun,
            files: report.fixes.files,
            fixed: report.fixes.fixed.map(({ finding, description }) => ({ ...place(finding), description })),
            unfixed: report.fixes.unfixed.map(({ finding, reason }) => ({ ...place(finding), reason })),
          },
        }),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
