import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type ParserPlugin } from '@babel/parser';
import { describe, expect, it } from 'vitest';
import { VULNERABILITY_CLASSES, type VulnerabilityClass } from '../review/types.js';
import { FRAMEWORKS, loadCorpus } from './manifest.js';
import { CORPUS_DIR } from './paths.js';
import { withCounts } from './summary.js';

const cases = loadCorpus(CORPUS_DIR);

/** The brief's floor per class, in pairs; the injection classes carry more weight in the bench. */
const MIN_PAIRS: Partial<Record<VulnerabilityClass, number>> = {
  'sql-injection': 14,
  'command-injection': 8,
  'path-traversal': 8,
  ssrf: 8,
  xss: 8,
  'nosql-injection': 8,
};

function pluginsFor(file: string): ParserPlugin[] {
  if (/\.[mc]?ts$/.test(file)) return ['typescript', 'decorators-legacy'];
  if (file.endsWith('.tsx')) return ['typescript', 'jsx', 'decorators-legacy'];
  return ['jsx'];
}

describe('the review corpus', () => {
  it('holds at least 300 cases, half of them vulnerable', () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
    expect(cases.filter((c) => c.vulnerable).length * 2).toBe(cases.length);
  });

  it('has at least four pairs of every class, and the floors of the injection classes', () => {
    for (const cls of VULNERABILITY_CLASSES) {
      const pairs = cases.filter((c) => c.class === cls && c.vulnerable).length;
      expect(pairs, cls).toBeGreaterThanOrEqual(Math.max(4, MIN_PAIRS[cls] ?? 0));
    }
  });

  it('covers every framework with vulnerable and safe cases', () => {
    for (const fw of FRAMEWORKS) {
      expect(cases.some((c) => c.framework === fw && c.vulnerable), fw).toBe(true);
      expect(cases.some((c) => c.framework === fw && !c.vulnerable), fw).toBe(true);
    }
  });

  it('pairs every vulnerable case with a safe twin of the same class whose code differs', () => {
    const byId = new Map(cases.map((c) => [c.id, c]));
    for (const c of cases.filter((x) => x.vulnerable)) {
      const twin = byId.get(c.twin);
      expect(twin?.vulnerable, c.id).toBe(false);
      expect(twin?.twin).toBe(c.id);
      expect(twin?.class).toBe(c.class);
      const text = (files: typeof c.files): string => files.map((f) => `${f.file}\n${f.text}`).join('\n');
      expect(text(twin?.files ?? []), c.id).not.toBe(text(c.files));
    }
  });

  it('puts every expected sink on a non-blank line of a file of its case', () => {
    for (const c of cases) {
      for (const e of c.expect) {
        const line = c.files.find((f) => f.file === e.file)?.text.split('\n')[e.line - 1];
        expect(line?.trim(), `${c.id} ${e.file}:${e.line}`).toBeTruthy();
      }
    }
  });

  it('has only source files that parse', () => {
    for (const c of cases) {
      for (const f of c.files) {
        expect(() =>
          parse(f.text, {
            sourceType: f.file.endsWith('.cjs') ? 'script' : 'module',
            allowAwaitOutsideFunction: true,
            plugins: pluginsFor(f.file),
          }),
          `${c.id}/${f.file}`,
        ).not.toThrow();
      }
    }
  });

  it('has a README whose counts are current', () => {
    const readme = readFileSync(join(CORPUS_DIR, 'README.md'), 'utf8');
    expect(withCounts(readme, cases)).toBe(readme);
  });
});
