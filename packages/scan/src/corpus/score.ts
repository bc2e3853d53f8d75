/**
 * Scores a tool's findings against the corpus labels: true positives where a finding of the case's class sits on an
 * expected sink line, false negatives for sink lines nobody reported, false positives for every finding that matches
 * no expectation of its case — counted under the finding's own class, so a finding of another class in a safe twin
 * counts against that other class. Precision, recall and F1 per class and micro-averaged over all classes.
 */
import type { VulnerabilityClass } from '../review/types.js';
import type { CorpusCase, Expectation } from './manifest.js';

/** What the scorer needs of a finding; Rampart's `Finding` and the eslint runner's findings both fit. */
export interface ScoredFinding {
  readonly class: VulnerabilityClass;
  readonly range: { readonly file: string; readonly start: { readonly line: number } };
  /** Who reported it (a rule id), for the per-case report. */
  readonly ruleId?: string;
}

export interface Counts {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
}

export interface Metrics extends Counts {
  /** tp / (tp + fp); null when the tool reported nothing of this class. */
  readonly precision: number | null;
  /** tp / (tp + fn); null when the corpus expects nothing of this class. */
  readonly recall: number | null;
  /** Harmonic mean of precision and recall; null when either is null or both are 0. */
  readonly f1: number | null;
}

export interface CaseScore extends Counts {
  readonly id: string;
  readonly missed: readonly Expectation[];
  readonly spurious: readonly ScoredFinding[];
}

export interface Score {
  readonly perClass: ReadonlyMap<VulnerabilityClass, Metrics>;
  readonly overall: Metrics;
  readonly perCase: readonly CaseScore[];
}

/** Precision, recall and F1 from raw counts; a ratio with a zero denominator is null, never NaN. */
export function metrics(counts: Counts): Metrics {
  const { tp, fp, fn } = counts;
  const precision = tp + fp === 0 ? null : tp / (tp + fp);
  const recall = tp + fn === 0 ? null : tp / (tp + fn);
  const f1 = precision === null || recall === null || precision + recall === 0 ? null : (2 * precision * recall) / (precision + recall);
  return { tp, fp, fn, precision, recall, f1 };
}

const matches = (c: CorpusCase, e: Expectation, f: ScoredFinding): boolean =>
  f.class === c.class && f.range.file === e.file && f.range.start.line === e.line;

/** Scores one case: each expectation is met at most once; a second finding on a met line is neither TP nor FP. */
export function scoreCase(c: CorpusCase, findings: readonly ScoredFinding[]): CaseScore & { readonly fpByClass: ReadonlyMap<VulnerabilityClass, number> } {
  const missed = c.expect.filter((e) => !findings.some((f) => matches(c, e, f)));
  const spurious = findings.filter((f) => !c.expect.some((e) => matches(c, e, f)));
  const fpByClass = new Map<VulnerabilityClass, number>();
  for (const f of spurious) fpByClass.set(f.class, (fpByClass.get(f.class) ?? 0) + 1);
  return { id: c.id, tp: c.expect.length - missed.length, fp: spurious.length, fn: missed.length, missed, spurious, fpByClass };
}

/**
 * Scores findings for every case. `findingsPerCase` is keyed by case id; a case with no entry had no findings.
 * Findings whose case is not in `cases` are ignored (score a subset by passing a subset).
 */
export function scoreFindings(cases: readonly CorpusCase[], findingsPerCase: ReadonlyMap<string, readonly ScoredFinding[]>): Score {
  const totals = new Map<VulnerabilityClass, { tp: number; fp: number; fn: number }>();
  const bucket = (cls: VulnerabilityClass): { tp: number; fp: number; fn: number } => {
    let b = totals.get(cls);
    if (b === undefined) {
      b = { tp: 0, fp: 0, fn: 0 };
      totals.set(cls, b);
    }
    return b;
  };
  const perCase: CaseScore[] = [];
  for (const c of cases) {
    const { fpByClass, ...score } = scoreCase(c, findingsPerCase.get(c.id) ?? []);
    perCase.push(score);
    const own = bucket(c.class);
    own.tp += score.tp;
    own.fn += score.fn;
    for (const [cls, n] of fpByClass) bucket(cls).fp += n;
  }
  const perClass = new Map<VulnerabilityClass, Metrics>();
  const sum = { tp: 0, fp: 0, fn: 0 };
  for (const [cls, counts] of totals) {
    perClass.set(cls, metrics(counts));
    sum.tp += counts.tp;
    sum.fp += counts.fp;
    sum.fn += counts.fn;
  }
  return { perClass, overall: metrics(sum), perCase };
}
