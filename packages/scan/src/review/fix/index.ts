// `review --fix`: mechanical fixes for findings whose safe rewrite is certain (parameterised SQL, execFile with an
// argument array, pinned JWT algorithms, cookie flags), applied atomically, with a unified diff for dry runs.
export { fixFindings, type FixedFinding, type FixFindingsOptions, type FixOptions, type FixOutcome, type UnfixedFinding } from './apply.js';
export { unifiedDiff } from './diff.js';
export { FIXABLE_CLASSES } from './plan.js';
