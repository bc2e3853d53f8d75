import type { ActualDecision, ExpectedDecision, PolicyTestReport } from './types.js';

/** C0/C1 controls, and the bidirectional overrides and isolates that reorder what a terminal shows (Trojan Source). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const UNSAFE_FOR_TERMINAL = /[\u0000-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

function safe(text: string): string {
  return text.replace(UNSAFE_FOR_TERMINAL, (c) => `\\u{${c.codePointAt(0)?.toString(16) ?? ''}}`);
}

function describeExpected(expected: ExpectedDecision): string {
  const parts: string[] = [expected.decision];
  if (expected.reason !== undefined) parts.push(`reason ${expected.reason}`);
  if (expected.rule !== undefined) parts.push(`rule ${safe(expected.rule)}`);
  return parts.join(', ');
}

function describeActual(actual: ActualDecision): string {
  const parts: string[] = [actual.decision, `reason ${actual.reason}`];
  if (actual.rule !== undefined) parts.push(`rule ${safe(actual.rule)}`);
  if (actual.policy !== undefined) parts.push(`policy ${safe(actual.policy)}`);
  if (actual.field !== undefined) parts.push(`field ${safe(actual.field)}`);
  if (actual.errorCode !== undefined) parts.push(`error ${actual.errorCode}`);
  return parts.join(', ');
}

/**
 * The report as plain text for a terminal or a CI log: a summary line, then one block per failed check with the
 * expected and the actual decision. Every name is printed with control and bidi characters escaped, so a hostile
 * test or policy file cannot hide a failure behind terminal escape sequences.
 */
export function formatReport(report: PolicyTestReport): string {
  const lines = [
    `policy tests: ${report.passed} passed, ${report.failed.length} failed, ${report.total} checks (policy ${safe(report.policyVersion)}, sha256 ${report.policyDigest.slice(0, 12)})`,
  ];
  for (const failure of report.failed) {
    lines.push(
      `FAIL ${safe(failure.suite)} > ${safe(failure.case)} [${safe(failure.action)}] (${safe(failure.source)})`,
      `  expected: ${describeExpected(failure.expected)}`,
      `  actual:   ${describeActual(failure.actual)}`,
    );
  }
  lines.push(report.failed.length === 0 ? 'OK' : 'FAILED');
  return `${lines.join('\n')}\n`;
}
