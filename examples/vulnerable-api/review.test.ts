/**
 * `rampart review` against its two targets: on the vulnerable API it must report a finding of the planted class on
 * the line of every `flaws.json` marker; on the secured twin, built with Rampart, it must report nothing in the
 * application code.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { review } from '../../packages/scan/src/review/review.js';
import type { Finding } from '../../packages/scan/src/review/types.js';
import { VULNERABLE_ROOT, loadFlaws, markerLine } from './testing/flaws.js';

const SECURED_ROOT = fileURLToPath(new URL('../secured-api/', import.meta.url));

/** Test files and test helpers hold attack payloads on purpose; the claim is about the application code. */
function isApplicationFile(file: string): boolean {
  return !file.endsWith('.test.ts') && !file.startsWith('testing/');
}

function describeFinding(finding: Finding): string {
  return `${finding.class} ${finding.ruleId} ${finding.range.file}:${String(finding.range.start.line)}`;
}

describe('review of the vulnerable API', () => {
  it('finds every planted flaw, of the right class, on the marker line', async () => {
    const result = await review({ root: VULNERABLE_ROOT, cache: false });
    expect(result.errors).toEqual([]);
    const missed = loadFlaws().filter((flaw) => {
      const line = markerLine(flaw);
      return !result.findings.some(
        (finding) =>
          finding.class === flaw.class &&
          finding.range.file === flaw.file &&
          line !== undefined &&
          finding.range.start.line <= line &&
          line <= finding.range.end.line,
      );
    });
    expect(missed.map((flaw) => `${flaw.class} ${flaw.file}: ${flaw.marker}`)).toEqual([]);
  });
});

describe('review of the secured API', () => {
  it('finds nothing in the application code', async () => {
    const result = await review({ root: SECURED_ROOT, cache: false });
    expect(result.errors).toEqual([]);
    // Not vacuous: the whole application was read (app, config, context, lib/*, routes/*, server).
    expect(result.filesReviewed).toBeGreaterThanOrEqual(18);
    expect(result.findings.filter((finding) => isApplicationFile(finding.range.file)).map(describeFinding)).toEqual([]);
  });
});
