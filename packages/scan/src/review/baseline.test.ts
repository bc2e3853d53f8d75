import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyBaseline, BaselineError, readBaseline, serializeBaseline, createBaseline, writeBaseline } from './baseline.js';
import { sampleFinding } from './report/sample-findings.fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-baseline-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('baseline', () => {
  const a = sampleFinding({ file: 'src/b.ts', line: 10 });
  const b = sampleFinding({ file: 'src/a.ts', line: 4 });
  const c = sampleFinding({ file: 'src/a.ts', line: 9, ruleId: 'xss/reflected', class: 'xss' });

  it('round-trips through a file: written findings are hidden, new ones reported, gone ones counted as fixed', () => {
    const path = join(dir, 'baseline.json');
    writeBaseline(path, [a, b, a]);
    const baseline = readBaseline(path);
    expect(baseline.entries.map((e) => e.fingerprint)).toEqual([b.fingerprint, a.fingerprint]); // sorted by file, deduped
    // b was fixed, c is new, a is still there
    const outcome = applyBaseline([a, c], baseline);
    expect(outcome.findings).toEqual([c]);
    expect(outcome.baselined).toBe(1);
    expect(outcome.fixed).toBe(1);
  });

  it('is stable JSON: the same findings in any order give the same bytes, with fields for humans', () => {
    const one = serializeBaseline(createBaseline([a, b, c]));
    const two = serializeBaseline(createBaseline([c, a, b]));
    expect(one).toBe(two);
    expect(one.endsWith('\n')).toBe(true);
    const parsed = JSON.parse(one) as { entries: Record<string, string>[] };
    expect(Object.keys(parsed.entries[0] ?? {})).toEqual(['fingerprint', 'ruleId', 'file', 'message']);
    expect(parsed.entries[0]?.message).toBe(b.message);
  });

  it('refuses a file that is not a baseline', () => {
    const bad = join(dir, 'bad.json');
    for (const text of ['not json', '{"entries":[]}', '{"format":"rampart-review-baseline/v1","entries":[{"ruleId":"x"}]}']) {
      writeFileSync(bad, text);
      expect(() => readBaseline(bad)).toThrow(BaselineError);
    }
    expect(() => readBaseline(join(dir, 'missing.json'))).toThrow(/cannot read baseline/);
    expect(readFileSync(join(dir, 'baseline.json'), 'utf8')).toContain('rampart-review-baseline/v1');
  });
});
