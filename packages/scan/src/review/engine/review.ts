/**
 * The engine behind `ReviewEngine` and a single-threaded `reviewSources` that runs the rounds to a fixpoint. The CLI's
 * worker orchestrator runs the same rounds on threads through `engine`.
 */
import type { FileError, Finding } from '../types.js';
import { builtinRuleSet, loadRuleSet } from '../rules/load.js';
import type { RuleSet } from '../rules/types.js';
import { ModuleAnalyzer } from './analyzer.js';
import { MAX_ROUNDS, type ModuleAnalysis, type ReviewEngine, type SourceFile } from './api.js';
import { compile, type CompiledRules } from './compiled.js';
import { checkConfiguration } from './config/check.js';
import { compareFindings } from './findings.js';
import { isFileError, parseSource, type ParsedModule } from './parse.js';
import { summariesEqual, type ModuleSummary } from './summary.js';

// Configuration checks read only the module's own syntax, never another module's summary: the same in every round, so
// they run once per parsed module and rule set (they were an eighth of a review's time when repeated each round).
const configurationFindings = new WeakMap<ParsedModule, { readonly rules: CompiledRules; readonly findings: readonly Finding[] }>();

function configurationOf(parsed: ParsedModule, compiled: CompiledRules): readonly Finding[] {
  const known = configurationFindings.get(parsed);
  if (known !== undefined && known.rules === compiled) return known.findings;
  const findings = checkConfiguration(parsed, compiled);
  configurationFindings.set(parsed, { rules: compiled, findings });
  return findings;
}

/** Analyses one module with the previous round's summaries: taint findings, configuration findings, its summary. */
export function analyzeModule(
  parsed: ParsedModule,
  rules: RuleSet,
  imported: ReadonlyMap<string, ModuleSummary>,
  files: ReadonlySet<string>,
): ModuleAnalysis<ModuleSummary> {
  const compiled = compile(rules);
  const { summary, findings } = new ModuleAnalyzer(parsed, compiled, imported, files).run();
  return { summary, findings: [...findings, ...configurationOf(parsed, compiled)] };
}

/** The review engine: parse once, analyse in rounds with summaries, stop when summaries stop changing. */
export const engine: ReviewEngine<RuleSet, ParsedModule, ModuleSummary> = {
  loadRuleSet: (options) => (options?.extraPacks === undefined ? builtinRuleSet() : loadRuleSet({ extraPacks: options.extraPacks })),
  parseModule: parseSource,
  analyzeModule,
  summariesEqual,
};

export interface ReviewSourcesOptions {
  readonly rules?: RuleSet;
  readonly extraPacks?: readonly string[];
}

export interface ReviewSourcesResult {
  readonly findings: readonly Finding[];
  readonly errors: readonly FileError[];
  /** Analysis rounds that ran (1 when no module imports another). */
  readonly rounds: number;
  readonly linesReviewed: number;
}

/**
 * Reviews a set of files on the current thread: parses each once, runs analysis rounds until every module summary is
 * stable (or `MAX_ROUNDS`), and returns the last round's findings, deduplicated by fingerprint and sorted by place.
 * A module is re-analysed in a round only when a module it imports changed its summary in the previous round.
 */
export function reviewSources(sources: readonly SourceFile[], options: ReviewSourcesOptions = {}): ReviewSourcesResult {
  const rules = options.rules ?? (options.extraPacks === undefined ? builtinRuleSet() : loadRuleSet({ extraPacks: options.extraPacks }));
  const errors: FileError[] = [];
  const parsed: ParsedModule[] = [];
  let linesReviewed = 0;
  for (const source of sources) {
    const result = parseSource(source);
    if (isFileError(result)) errors.push(result);
    else {
      parsed.push(result);
      linesReviewed += result.lineCount;
    }
  }
  const files = new Set(parsed.map((module) => module.file));
  let summaries = new Map<string, ModuleSummary>();
  let results = new Map<string, ModuleAnalysis<ModuleSummary>>();
  let changed = new Set(files);
  let rounds = 0;
  while (rounds < MAX_ROUNDS && changed.size > 0) {
    rounds++;
    const nextSummaries = new Map<string, ModuleSummary>();
    const nextResults = new Map<string, ModuleAnalysis<ModuleSummary>>();
    const reaches = transitiveChange(results, changed);
    for (const module of parsed) {
      const previous = results.get(module.file);
      const stale = previous === undefined || reaches(module.file);
      const analysis = stale ? safeAnalyze(module, rules, summaries, files, errors) : previous;
      nextResults.set(module.file, analysis);
      nextSummaries.set(module.file, analysis.summary);
    }
    const nextChanged = new Set<string>();
    for (const [file, summary] of nextSummaries) {
      const before = summaries.get(file);
      if (before === undefined || !summariesEqual(before, summary)) nextChanged.add(file);
    }
    // Round one produces the first summaries; only a change seen by an importer needs another round.
    const nextReaches = transitiveChange(nextResults, nextChanged);
    const importers = parsed.some((module) => nextReaches(module.file));
    summaries = nextSummaries;
    results = nextResults;
    changed = importers ? nextChanged : new Set();
  }
  const unique = new Map<string, Finding>();
  for (const analysis of results.values()) {
    for (const finding of analysis.findings) {
      const existing = unique.get(finding.fingerprint);
      if (existing === undefined || existing.flow.length > finding.flow.length) unique.set(finding.fingerprint, finding);
    }
  }
  return { findings: [...unique.values()].sort(compareFindings), errors, rounds, linesReviewed };
}

/**
 * A test for "some module this file depends on, directly or through re-exports and helpers, changed its summary":
 * a route that calls a service that calls a repository must be re-analysed when the repository's summary changes.
 */
function transitiveChange(results: ReadonlyMap<string, ModuleAnalysis<ModuleSummary>>, changed: ReadonlySet<string>): (file: string) => boolean {
  const memo = new Map<string, boolean>();
  const visit = (file: string, seen: Set<string>): boolean => {
    const known = memo.get(file);
    if (known !== undefined) return known;
    if (seen.has(file)) return false;
    seen.add(file);
    const deps = results.get(file)?.summary.deps ?? [];
    const result = deps.some((dep) => changed.has(dep) || visit(dep, seen));
    memo.set(file, result);
    return result;
  };
  return (file) => results.get(file) === undefined || visit(file, new Set());
}

function safeAnalyze(
  module: ParsedModule,
  rules: RuleSet,
  summaries: ReadonlyMap<string, ModuleSummary>,
  files: ReadonlySet<string>,
  errors: FileError[],
): ModuleAnalysis<ModuleSummary> {
  try {
    return analyzeModule(module, rules, summaries, files);
  } catch (error) {
    // An analysis bug must cost one file, not the review; the file is reported so it is not silently "clean".
    errors.push({ file: module.file, message: `analysis failed: ${error instanceof Error ? error.message : String(error)}` });
    return { summary: { exports: {}, stars: [], deps: [] }, findings: [] };
  }
}
