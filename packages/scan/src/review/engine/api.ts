/**
 * The engine's surface, as the orchestrator (files, workers, cache, reporters) uses it.
 *
 * Whole-program taint analysis on worker threads works in rounds: every file is parsed once (its AST stays in the
 * worker that owns it), then analysed with the summaries its imports had in the previous round. A module summary says,
 * per exported function/class/value, which parameters flow to the return value, to which sinks, through which
 * sanitizers — small plain data that crosses threads. Rounds repeat until no summary changes (or `MAX_ROUNDS`), so a
 * helper that calls a helper in a third file is followed too; the last round's findings are the result.
 */
import type { FileError, Finding } from '../types.js';

/** A file to review: its path relative to the review root (`/` separators) and its text. */
export interface SourceFile {
  readonly file: string;
  readonly text: string;
}

/** What one round of analysis of one module yields. Plain data (`structuredClone`-safe). */
export interface ModuleAnalysis<Summary> {
  readonly summary: Summary;
  readonly findings: readonly Finding[];
}

/**
 * The engine as the orchestrator sees it. `RuleSet` and `Summary` are plain data; `Parsed` stays in the thread that
 * parsed it.
 */
export interface ReviewEngine<RuleSet, Parsed, Summary> {
  /** Loads the built-in YAML rule packs plus any extra pack files or directories. Throws a typed error on a bad pack. */
  loadRuleSet(options?: { readonly extraPacks?: readonly string[] }): RuleSet;
  /** Parses tolerantly: a file that cannot be parsed comes back as a `FileError`, never a throw. */
  parseModule(source: SourceFile): Parsed | FileError;
  /**
   * Analyses one parsed module. `imported` holds the previous round's summaries of every module in the review, keyed
   * by file; `files` is the set of reviewed files, for resolving relative imports and `require`s.
   */
  analyzeModule(
    parsed: Parsed,
    rules: RuleSet,
    imported: ReadonlyMap<string, Summary>,
    files: ReadonlySet<string>,
  ): ModuleAnalysis<Summary>;
  /** True when two rounds' summaries of a module are the same (the fixpoint test). */
  summariesEqual(a: Summary, b: Summary): boolean;
}

/** Rounds after which analysis stops even if summaries still change (recursion through several files). */
export const MAX_ROUNDS = 5;
