import { describe, expect, it } from 'vitest';
import type { VulnerabilityClass } from '../review/types.js';
import type { CorpusCase } from './manifest.js';
import { metrics, scoreFindings, type ScoredFinding } from './score.js';

function corpusCase(id: string, cls: VulnerabilityClass, expect: { file: string; line: number }[]): CorpusCase {
  return {
    id,
    dir: `/corpus/${id}`,
    class: cls,
    framework: 'express',
    flow: 'direct',
    vulnerable: expect.length > 0,
    twin: `${id}-twin`,
    expect,
    description: id,
    files: [{ file: 'a.ts', text: 'x\n'.repeat(40) }],
  };
}

const finding = (cls: VulnerabilityClass, file: string, line: number): ScoredFinding => ({ class: cls, range: { file, start: { line } } });

const sqlVuln = corpusCase('sql-injection/001-a', 'sql-injection', [
  { file: 'a.ts', line: 10 },
  { file: 'a.ts', line: 20 },
]);
const sqlSafe = corpusCase('sql-injection/002-a-safe', 'sql-injection', []);
const xssVuln = corpusCase('xss/001-b', 'xss', [{ file: 'a.ts', line: 5 }]);

describe('scoreFindings', () => {
  it('counts a finding of the case class on an expected line as a TP and unmet lines as FNs', () => {
    const score = scoreFindings([sqlVuln], new Map([[sqlVuln.id, [finding('sql-injection', 'a.ts', 10)]]]));
    expect(score.perClass.get('sql-injection')).toMatchObject({ tp: 1, fp: 0, fn: 1, precision: 1, recall: 0.5 });
    expect(score.perCase[0]?.missed).toEqual([{ file: 'a.ts', line: 20 }]);
  });

  it('counts a finding one line off as both a FN and a FP', () => {
    const score = scoreFindings([xssVuln], new Map([[xssVuln.id, [finding('xss', 'a.ts', 6)]]]));
    expect(score.perClass.get('xss')).toMatchObject({ tp: 0, fp: 1, fn: 1, precision: 0, recall: 0, f1: null });
  });

  it('counts a finding in another file on the right line as a FN and a FP', () => {
    const score = scoreFindings([xssVuln], new Map([[xssVuln.id, [finding('xss', 'b.ts', 5)]]]));
    expect(score.perClass.get('xss')).toMatchObject({ tp: 0, fp: 1, fn: 1 });
  });

  it('charges a finding of another class to that class, even on the expected line', () => {
    const score = scoreFindings([xssVuln, sqlSafe], new Map([
      [xssVuln.id, [finding('open-redirect', 'a.ts', 5)]],
      [sqlSafe.id, [finding('command-injection', 'a.ts', 3)]],
    ]));
    expect(score.perClass.get('xss')).toMatchObject({ tp: 0, fp: 0, fn: 1 });
    expect(score.perClass.get('open-redirect')).toMatchObject({ tp: 0, fp: 1, fn: 0, recall: null, precision: 0 });
    expect(score.perClass.get('command-injection')).toMatchObject({ fp: 1 });
    expect(score.perClass.get('sql-injection')).toMatchObject({ tp: 0, fp: 0, fn: 0, precision: null, recall: null });
  });

  it('counts every finding in a safe twin as a FP and does not double count a duplicate on a met line', () => {
    const score = scoreFindings([sqlVuln, sqlSafe], new Map([
      [sqlVuln.id, [finding('sql-injection', 'a.ts', 10), finding('sql-injection', 'a.ts', 10), finding('sql-injection', 'a.ts', 20)]],
      [sqlSafe.id, [finding('sql-injection', 'a.ts', 10), finding('sql-injection', 'a.ts', 12)]],
    ]));
    expect(score.perClass.get('sql-injection')).toMatchObject({ tp: 2, fp: 2, fn: 0, precision: 0.5, recall: 1 });
    expect(score.perClass.get('sql-injection')?.f1).toBeCloseTo(2 / 3);
  });

  it('micro-averages the overall score over all classes', () => {
    const score = scoreFindings([sqlVuln, sqlSafe, xssVuln], new Map([
      [sqlVuln.id, [finding('sql-injection', 'a.ts', 10)]],
      [sqlSafe.id, [finding('sql-injection', 'a.ts', 1)]],
      [xssVuln.id, [finding('xss', 'a.ts', 5), finding('xss', 'a.ts', 9)]],
    ]));
    // TP: 1 (sql) + 1 (xss); FP: 1 (safe twin) + 1 (xss line 9); FN: 1 (sql line 20).
    expect(score.overall).toMatchObject({ tp: 2, fp: 2, fn: 1, precision: 0.5 });
    expect(score.overall.recall).toBeCloseTo(2 / 3);
  });

  it('treats a case without an entry as having no findings', () => {
    const score = scoreFindings([sqlVuln, sqlSafe], new Map());
    expect(score.overall).toMatchObject({ tp: 0, fp: 0, fn: 2, precision: null, recall: 0, f1: null });
  });
});

describe('metrics', () => {
  it('computes F1 as the harmonic mean', () => {
    expect(metrics({ tp: 3, fp: 1, fn: 3 })).toMatchObject({ precision: 0.75, recall: 0.5, f1: 0.6 });
  });
});
