import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { MAX_ROUNDS, type ModuleAnalysis, type SourceFile } from './engine/api.js';
import { ReviewCache, summaryDigest, type DependencyState } from './cache.js';
import { collectSourceFiles, compareText, countLines, type IgnoredFiles } from './files.js';
import { fixFindings, type FixOptions, type FixOutcome } from './fix/apply.js';
import { TOOL_VERSION } from './report/version.js';
import { applySuppressions, parseSuppressions, type SuppressionDirective } from './suppress.js';
import type { FileError, Finding, ReviewResult } from './types.js';
import { DEFAULT_ENGINE_MODULE, engineCodeDigest, loadEngine, type OpaqueEngine } from './workers/engine-module.js';
import { InProcessExecutor, WorkerExecutor, type RoundExecutor } from './workers/executor.js';
import type { ModuleOutcome } from './workers/host.js';
import { digestPlain, UnencodableValueError } from './workers/plain-data.js';
import type { ModuleDependencies } from './workers/tracking.js';

export interface ReviewOptions {
  /** Findings' paths are relative to this directory; `paths` must lie inside it. */
  readonly root: string;
  /** Files and directories to review (default: the whole root). Relative ones resolve against `cwd`. */
  readonly paths?: readonly string[];
  /** Where relative `paths` resolve (default: `root`). */
  readonly cwd?: string;
  /** Worker threads (default `min(availableParallelism(), 4)`); 0 analyses in the calling thread. */
  readonly threads?: number;
  /** Cache directory (default `<root>/.rampart/review-cache`), or false for none. */
  readonly cache?: string | false;
  /** Extra rule pack files or directories (YAML). */
  readonly extraPacks?: readonly string[];
  /** Called as modules finish their first analysis: `done` of `total` files. */
  readonly onProgress?: (done: number, total: number) => void;
  /** The module exporting the engine (default: the built-in one). For tests and alternative engines. */
  readonly engineModule?: string;
  /**
   * Fix what can be fixed mechanically (`true`, or which findings and whether to only compute the diff), then review
   * again: the result is what remains, with `fixes` saying what was fixed and what could not be.
   */
  readonly fix?: boolean | FixOptions;
}

/** How the review did its work; not part of the result proper, which is the same however it was computed. */
export interface ReviewStats {
  /** Files the engine parsed in this review (0 when every module came from the cache). */
  readonly parsedFiles: number;
  /** Module analyses served from the cache. */
  readonly cacheHits: number;
  /** Module analyses computed. */
  readonly analyses: number;
  /** Rounds run until the summaries stopped changing (at most `MAX_ROUNDS`). */
  readonly rounds: number;
  /** Worker threads available to the review (0: in-process). */
  readonly threads: number;
}

export interface ReviewOutcome extends ReviewResult {
  readonly stats: ReviewStats;
  /** Source files `.rampart-review-ignore` files kept out of the review, per ignore file. */
  readonly ignored: readonly IgnoredFiles[];
  /** With `fix`: what was fixed (in a dry run: would be), what could not be and why, and the diff. */
  readonly fixes?: FixOutcome;
}

/** The default worker count: parallel enough to pay off, bounded so a review does not take over a shared CI runner. */
export function defaultThreads(): number {
  return Math.min(availableParallelism(), 4);
}

interface ModuleState {
  summary?: unknown;
  findings: readonly Finding[];
  dependencies?: ModuleDependencies;
  error?: FileError;
}

/**
 * Reviews TypeScript/JavaScript sources for injection and other vulnerabilities by whole-program taint analysis.
 *
 * Finds: untrusted input (request data, …) reaching dangerous sinks (SQL, shell, file paths, URLs fetched, HTML, …)
 * across functions and files, and insecure configuration, as the engine's rules define them.
 *
 * Works in rounds (see `engine/api.ts`): round 1 analyses every module with no summaries; each later round re-analyses
 * only the modules that read a summary which changed in the round before (their result is otherwise the same), until
 * nothing changes or `MAX_ROUNDS`. Modules are sharded across worker threads, which keep their ASTs across rounds; the
 * cache serves any module whose text, engine, rules and read summaries are unchanged, without parsing it. Findings are
 * deduplicated by fingerprint, suppressions applied, and everything sorted, so the result is the same for any thread
 * count and cache state.
 *
 * With `fix`, the findings with a certain mechanical fix are fixed in place (see `fix/`), and the code is reviewed
 * again: the result is what remains, and `fixes` says what was fixed and what was not, and why.
 */
export async function review(options: ReviewOptions): Promise<ReviewOutcome> {
  const first = await reviewOnce(options);
  if (options.fix === undefined || options.fix === false) return first.outcome;
  const fix: FixOptions = options.fix === true ? {} : options.fix;
  const select = fix.select ?? (() => true);
  const fixes = fixFindings({
    root: resolve(options.root),
    findings: first.outcome.findings.filter(select),
    reviewed: first.reviewed,
    ...(fix.dryRun === undefined ? {} : { dryRun: fix.dryRun }),
  });
  // Review again what was written: the result is what remains, judged by the same engine that found it.
  if (fixes.dryRun || fixes.files.length === 0) return { ...first.outcome, fixes };
  const second = await reviewOnce({ ...options, onProgress: undefined });
  return { ...second.outcome, fixes };
}

async function reviewOnce(options: ReviewOptions): Promise<{ outcome: ReviewOutcome; reviewed: ReadonlyMap<string, string> }> {
  const root = resolve(options.root);
  const collected = collectSourceFiles({ root, ...(options.paths === undefined ? {} : { paths: options.paths }), cwd: options.cwd ?? root });
  const engineModule = options.engineModule ?? DEFAULT_ENGINE_MODULE;
  const engine = await loadEngine(engineModule);
  const rules = engine.loadRuleSet({ extraPacks: options.extraPacks ?? [] });
  const sources = collected.sources;
  const threads = Math.max(0, Math.floor(options.threads ?? defaultThreads()));

  const cache = options.cache === false ? undefined : openCache(options.cache ?? join(root, '.rampart', 'review-cache'), engineModule, rules);
  const executor: RoundExecutor = threads === 0 ? new InProcessExecutor(engine, rules, sources) : new WorkerExecutor(engineModule, rules, sources, threads);
  let analysis: RoundsResult;
  try {
    analysis = await runRounds(engine, executor, sources, cache, options.onProgress);
  } finally {
    await executor.close();
  }
  cache?.flush();

  const errors: FileError[] = [...collected.errors];
  const findings: Finding[] = [];
  let filesReviewed = 0;
  let linesReviewed = 0;
  for (const source of sources) {
    const state = analysis.modules.get(source.file);
    if (state?.error !== undefined) {
      errors.push(state.error);
      continue;
    }
    filesReviewed++;
    linesReviewed += countLines(source.text);
    findings.push(...(state?.findings ?? []));
  }

  const directives = new Map<string, SuppressionDirective[]>();
  for (const source of sources) {
    const parsed = parseSuppressions(source.file, source.text);
    if (parsed.directives.length > 0) directives.set(source.file, parsed.directives);
    errors.push(...parsed.errors);
  }
  const split = applySuppressions(findings, directives);
  const outcome: ReviewOutcome = {
    findings: dedupeByFingerprint(split.findings.sort(compareFindings)),
    suppressed: dedupeByFingerprint(split.suppressed.sort((a, b) => compareFindings(a.finding, b.finding)), (entry) => entry.finding),
    errors: errors.sort(compareErrors),
    filesReviewed,
    linesReviewed,
    stats: { parsedFiles: executor.parsedFiles, cacheHits: analysis.cacheHits, analyses: analysis.analyses, rounds: analysis.rounds, threads },
    ignored: collected.ignored,
  };
  return { outcome, reviewed: new Map(sources.map((source) => [source.file, source.text])) };
}

interface RoundsResult {
  readonly modules: ReadonlyMap<string, ModuleState>;
  readonly rounds: number;
  readonly cacheHits: number;
  readonly analyses: number;
}

async function runRounds(
  engine: OpaqueEngine,
  executor: RoundExecutor,
  sources: readonly SourceFile[],
  cache: ReviewCache | undefined,
  onProgress: ((done: number, total: number) => void) | undefined,
): Promise<RoundsResult> {
  const modules = new Map<string, ModuleState>(sources.map((source) => [source.file, { findings: [] }]));
  const summaries = new Map<string, unknown>();
  const state = dependencyState(sources, summaries);
  const keys = new Map(sources.map((source) => [source.file, cache?.keyOf(source.file, source.text) ?? '']));
  /** Summaries changed since the executor last ran: it learns them with its next round. */
  let unsent = new Map<string, unknown>();
  let worklist = sources.map((source) => source.file);
  let rounds = 0;
  let cacheHits = 0;
  let analyses = 0;
  let done = 0;
  const total = sources.length;

  while (worklist.length > 0 && rounds < MAX_ROUNDS) {
    rounds++;
    const round = rounds;
    const outcomes = new Map<string, ModuleOutcome | { kind: 'cached'; analysis: ModuleAnalysis<unknown>; dependencies: ModuleDependencies }>();
    const pending: string[] = [];
    for (const file of worklist) {
      const hit = cache?.find(keys.get(file) ?? '', state);
      if (hit === undefined) pending.push(file);
      else if (hit.kind === 'error') outcomes.set(file, { kind: 'error', file, error: hit.error, stage: 'parse', parsed: false });
      else outcomes.set(file, { kind: 'cached', analysis: hit.analysis, dependencies: hit.dependencies });
      if (hit !== undefined) {
        cacheHits++;
        if (round === 1) onProgress?.(++done, total);
      }
    }
    if (pending.length > 0) {
      const changed = [...unsent];
      unsent = new Map();
      await executor.run(round, changed, summaries, pending, (outcome) => {
        outcomes.set(outcome.file, outcome);
        if (round === 1) onProgress?.(++done, total);
      });
      analyses += pending.length;
    }

    // Every outcome of this round was computed against the same snapshot of summaries; only now do they change.
    const changedThisRound = new Set<string>();
    for (const file of worklist) {
      const outcome = outcomes.get(file);
      const module = modules.get(file);
      if (outcome === undefined || module === undefined) continue;
      if (outcome.kind === 'error') {
        module.error = outcome.error;
        module.findings = [];
        if (outcome.parsed && outcome.stage === 'parse') cache?.rememberError(keys.get(file) ?? '', outcome.error);
        continue;
      }
      if (outcome.kind === 'analysis') cache?.rememberAnalysis(keys.get(file) ?? '', outcome.analysis, outcome.dependencies, state);
      module.error = undefined;
      module.findings = outcome.analysis.findings;
      module.dependencies = outcome.dependencies;
      const previous = summaries.has(file) ? { value: summaries.get(file) } : undefined;
      if (previous === undefined || !engine.summariesEqual(previous.value, outcome.analysis.summary)) {
        changedThisRound.add(file);
        module.summary = outcome.analysis.summary;
      }
    }
    for (const file of changedThisRound) {
      const summary = modules.get(file)?.summary;
      summaries.set(file, summary);
      unsent.set(file, summary);
      state.forget(file);
    }
    worklist = changedThisRound.size === 0 ? [] : sources
      .map((source) => source.file)
      .filter((file) => {
        const module = modules.get(file);
        const dependencies = module?.dependencies;
        if (module?.error !== undefined || dependencies === undefined) return false;
        return dependencies.allSummaries || dependencies.summaryKeys.some((key) => changedThisRound.has(key));
      });
  }
  onProgress?.(total, total);
  return { modules, rounds, cacheHits, analyses };
}

/** The live view of summaries and files the cache matches its recorded dependencies against. */
function dependencyState(sources: readonly SourceFile[], summaries: ReadonlyMap<string, unknown>): DependencyState & { forget(file: string): void } {
  const files = new Set(sources.map((source) => source.file));
  const digests = new Map<string, string | undefined>();
  const filesDigest = createHash('sha256').update([...files].sort().join('\0')).digest('hex');
  let allDigest: { value: string | undefined } | undefined;
  const digestOf = (file: string): string | null | undefined => {
    if (!summaries.has(file)) return null;
    if (!digests.has(file)) digests.set(file, summaryDigest(summaries.get(file)));
    return digests.get(file);
  };
  return {
    summaryDigest: digestOf,
    hasFile: (file) => files.has(file),
    allFilesDigest: () => filesDigest,
    allSummariesDigest: () => {
      if (allDigest === undefined) {
        const hash = createHash('sha256');
        let complete = true;
        for (const file of [...summaries.keys()].sort()) {
          const digest = digestOf(file);
          if (digest === undefined) complete = false;
          hash.update(file).update('\0').update(String(digest)).update('\0');
        }
        allDigest = { value: complete ? hash.digest('hex') : undefined };
      }
      return allDigest.value;
    },
    forget: (file) => {
      digests.delete(file);
      allDigest = undefined;
    },
  };
}

/**
 * The cache, salted with everything besides a module's own inputs that decides its analysis: this package's version,
 * the engine's code and the loaded rules. Rules that cannot be digested disable the cache rather than risk a stale hit.
 */
function openCache(directory: string, engineModule: string, rules: unknown): ReviewCache | undefined {
  let rulesDigest: string;
  try {
    rulesDigest = digestPlain(rules);
  } catch (error) {
    if (error instanceof UnencodableValueError) return undefined;
    throw error;
  }
  const salt = createHash('sha256')
    .update(`${TOOL_VERSION}\0${engineCodeDigest(engineModule)}\0${rulesDigest}\0${MAX_ROUNDS}`)
    .digest('hex');
  return new ReviewCache(resolve(directory), salt);
}

/** Orders findings by place, then rule: the order every reporter prints and every test can rely on. */
export function compareFindings(a: Finding, b: Finding): number {
  return compareText(a.range.file, b.range.file)
    || a.range.start.line - b.range.start.line
    || a.range.start.column - b.range.start.column
    || compareText(a.ruleId, b.ruleId)
    || compareText(a.fingerprint, b.fingerprint)
    || compareText(a.message, b.message);
}

function compareErrors(a: FileError, b: FileError): number {
  return compareText(a.file, b.file)
    || (a.position?.line ?? 0) - (b.position?.line ?? 0)
    || (a.position?.column ?? 0) - (b.position?.column ?? 0)
    || compareText(a.message, b.message);
}

function dedupeByFingerprint<T>(sorted: readonly T[], findingOf: (item: T) => Finding = (item) => item as Finding): T[] {
  const seen = new Set<string>();
  return sorted.filter((item) => {
    const fingerprint = findingOf(item).fingerprint;
    if (seen.has(fingerprint)) return false;
    seen.add(fingerprint);
    return true;
  });
}
