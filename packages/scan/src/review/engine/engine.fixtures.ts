import { expect } from 'vitest';
import type { Finding } from '../types.js';
import { builtinRuleSet } from '../rules/load.js';
import { reviewSources } from './review.js';

/** Reviews in-memory files (path → text) with the built-in rule packs; every file must parse. */
export function reviewFiles(files: Record<string, string>): readonly Finding[] {
  const result = reviewSources(
    Object.entries(files).map(([file, text]) => ({ file, text })),
    { rules: builtinRuleSet() },
  );
  expect(result.errors).toEqual([]);
  return result.findings;
}
