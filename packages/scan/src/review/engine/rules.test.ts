import { describe, expect, it } from 'vitest';
import { loadRuleSet } from '../rules/load.js';
import { reviewSources } from './review.js';

// Every rule ships with examples: each vulnerable one must produce a finding of that rule, each safe one none.
const rules = loadRuleSet();

describe('rule pack examples', () => {
  for (const rule of rules.rules) {
    describe(rule.id, () => {
      rule.examples.vulnerable.forEach((code, index) => {
        it(`finds vulnerable example ${index + 1}`, () => {
          const { findings, errors } = reviewSources([{ file: 'src/app.ts', text: code }], { rules });
          expect(errors).toEqual([]);
          expect(findings.map((finding) => finding.ruleId)).toContain(rule.id);
        });
      });
      rule.examples.safe.forEach((code, index) => {
        it(`accepts safe example ${index + 1}`, () => {
          const { findings, errors } = reviewSources([{ file: 'src/app.ts', text: code }], { rules });
          expect(errors).toEqual([]);
          expect(findings.filter((finding) => finding.ruleId === rule.id)).toEqual([]);
        });
      });
    });
  }
});
