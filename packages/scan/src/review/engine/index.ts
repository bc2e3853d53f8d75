/**
 * `rampart review`'s analysis engine: taint analysis across functions and files plus configuration checks, driven by
 * YAML rule packs. See api.ts for how the orchestrator runs it in rounds on worker threads.
 */
export { engine, reviewSources, analyzeModule, type ReviewSourcesOptions, type ReviewSourcesResult } from './review.js';
export type { ModuleSummary, FunctionSummary, ClassSummary, ExportEntry, SinkHit, ParamCall } from './summary.js';
export type { ParsedModule } from './parse.js';
export type { RuleSet, Rule, TaintRule, ConfigRule, SinkSpec, SourceSpec, SanitizerSpec, RoleSpec } from '../rules/types.js';
export { RulePackError } from '../rules/validate.js';
export { builtinRuleSet, loadRuleSet, parsePack, BUILTIN_RULES_DIR } from '../rules/load.js';
export { MAX_ROUNDS, type ReviewEngine, type SourceFile, type ModuleAnalysis } from './api.js';
