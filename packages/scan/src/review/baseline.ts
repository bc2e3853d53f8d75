import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { compareText } from './files.js';
import type { Finding } from './types.js';

/**
 * A baseline lets a team adopt `review` on an existing codebase: the findings that exist today are recorded once
 * (`--write-baseline`), later runs (`--baseline`) report only new ones, and say how many recorded ones are gone. It is
 * keyed on fingerprints, which survive unrelated edits, not line numbers.
 */

export const BASELINE_FORMAT = 'rampart-review-baseline/v1';

export interface BaselineEntry {
  readonly fingerprint: string;
  /** For humans reading the file in review; only the fingerprint is matched. */
  readonly ruleId: string;
  readonly file: string;
  readonly message: string;
}

export interface Baseline {
  readonly format: typeof BASELINE_FORMAT;
  readonly entries: readonly BaselineEntry[];
}

/** A baseline file that is not one (wrong shape, not JSON): the command exits 2 rather than hide nothing or everything. */
export class BaselineError extends Error {
  readonly code = 'REVIEW_BASELINE';
}

/** The baseline of `findings`: one entry per fingerprint, sorted by file, rule and fingerprint, so it diffs cleanly. */
export function createBaseline(findings: readonly Finding[]): Baseline {
  const byFingerprint = new Map<string, BaselineEntry>();
  for (const finding of findings) {
    if (!byFingerprint.has(finding.fingerprint)) {
      byFingerprint.set(finding.fingerprint, { fingerprint: finding.fingerprint, ruleId: finding.ruleId, file: finding.range.file, message: finding.message });
    }
  }
  const entries = [...byFingerprint.values()].sort(
    (a, b) => compareText(a.file, b.file) || compareText(a.ruleId, b.ruleId) || compareText(a.fingerprint, b.fingerprint),
  );
  return { format: BASELINE_FORMAT, entries };
}

/** Stable JSON (fixed key order, two-space indent, final newline) so a baseline committed to a repository diffs well. */
export function serializeBaseline(baseline: Baseline): string {
  const entries = baseline.entries.map(({ fingerprint, ruleId, file, message }) => ({ fingerprint, ruleId, file, message }));
  return `${JSON.stringify({ format: baseline.format, entries }, null, 2)}\n`;
}

/** Writes atomically (temporary file + rename): an interrupted write never leaves a half baseline that hides nothing. */
export function writeBaseline(path: string, findings: readonly Finding[]): Baseline {
  const baseline = createBaseline(findings);
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, serializeBaseline(baseline));
  renameSync(temporary, path);
  return baseline;
}

/** Parses a baseline, checking every entry's shape. Throws `BaselineError` on anything else. */
export function parseBaseline(text: string): Baseline {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BaselineError(`baseline is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof value !== 'object' || value === null || (value as { format?: unknown }).format !== BASELINE_FORMAT) {
    throw new BaselineError(`baseline is not a ${BASELINE_FORMAT} file`);
  }
  const entries = (value as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) throw new BaselineError('baseline has no entries array');
  const parsed: BaselineEntry[] = entries.map((entry: unknown, index) => {
    const e = entry as Partial<Record<keyof BaselineEntry, unknown>> | null;
    if (typeof e !== 'object' || e === null || typeof e.fingerprint !== 'string' || e.fingerprint === '') {
      throw new BaselineError(`baseline entry ${index} has no fingerprint`);
    }
    return {
      fingerprint: e.fingerprint,
      ruleId: typeof e.ruleId === 'string' ? e.ruleId : '',
      file: typeof e.file === 'string' ? e.file : '',
      message: typeof e.message === 'string' ? e.message : '',
    };
  });
  return { format: BASELINE_FORMAT, entries: parsed };
}

/** Reads and parses a baseline file; a missing or unreadable file is a `BaselineError`. */
export function readBaseline(path: string): Baseline {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new BaselineError(`cannot read baseline ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseBaseline(text);
}

export interface BaselineOutcome {
  /** Findings not in the baseline: the new ones. */
  readonly findings: Finding[];
  /** How many current findings the baseline hid. */
  readonly baselined: number;
  /** Baseline entries no current finding matches: fixed (or moved beyond recognition) since it was written. */
  readonly fixed: number;
}

/** Hides findings whose fingerprint is in the baseline; counts hidden ones and entries that no longer occur. */
export function applyBaseline(findings: readonly Finding[], baseline: Baseline): BaselineOutcome {
  const known = new Set(baseline.entries.map((entry) => entry.fingerprint));
  const seen = new Set<string>();
  const kept: Finding[] = [];
  let baselined = 0;
  for (const finding of findings) {
    if (known.has(finding.fingerprint)) {
      baselined++;
      seen.add(finding.fingerprint);
    } else {
      kept.push(finding);
    }
  }
  return { findings: kept, baselined, fixed: [...known].filter((fingerprint) => !seen.has(fingerprint)).length };
}
