import type { IgnoredFiles } from '../files.js';
import type { FixOutcome } from '../fix/apply.js';
import type { ReviewResult } from '../types.js';

/** What a reporter renders: the review's result (already filtered by severity and baseline) and how it was filtered. */
export interface ReviewReport {
  readonly result: ReviewResult;
  /** Present when a baseline was applied: findings it hid, and its entries that no longer occur. */
  readonly baseline?: { readonly baselined: number; readonly fixed: number };
  /** Findings left out because they are below the reporting threshold (`--severity`). */
  readonly belowThreshold?: number;
  /** Source files `.rampart-review-ignore` files kept out of the review, per ignore file. */
  readonly ignored?: readonly IgnoredFiles[];
  /** With `--fix`: what was fixed and what could not be. */
  readonly fixes?: FixOutcome;
}
