/**
 * The corpus that measures `rampart review`: loading and validating the labelled cases, scoring findings against them,
 * and running the peer (eslint-plugin-security) on the same cases.
 */
export { loadCorpus, CorpusError, FRAMEWORKS, FLOWS, SOURCE_EXTENSIONS } from './manifest.js';
export type { CorpusCase, CaseFile, Expectation, Framework, Flow } from './manifest.js';
export { scoreFindings, scoreCase, metrics } from './score.js';
export type { ScoredFinding, Score, Metrics, Counts, CaseScore } from './score.js';
export { runEslintSecurity, createEslintSecurityRunner, eslintSecurityConfig, ESLINT_SECURITY_RULE_CLASSES } from './eslint-security.js';
export type { EslintSecurityResult, EslintSecurityRunner, UnmappedReport } from './eslint-security.js';
export { renderCounts, withCounts } from './summary.js';
export { CORPUS_DIR } from './paths.js';
