import type { ReviewReport } from './report.js';
import { TOOL_NAME, TOOL_VERSION } from './version.js';

/**
 * The machine-readable report: the `ReviewResult` (findings, suppressed findings with their suppressions, file errors,
 * counts) plus the tool and version, and the baseline counts when one was applied. Keys in a fixed order, so two
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
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
