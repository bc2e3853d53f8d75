import type { ModuleAnalysis, SourceFile } from '../engine/api.js';
import type { FileError } from '../types.js';
import type { OpaqueEngine } from './engine-module.js';
import { dependenciesOf, TrackingMap, TrackingSet, type ModuleDependencies } from './tracking.js';

/** What analysing one module in one round gave: its analysis and what it read, or why it could not be analysed. */
export type ModuleOutcome =
  | {
      readonly kind: 'analysis';
      readonly file: string;
      readonly analysis: ModuleAnalysis<unknown>;
      readonly dependencies: ModuleDependencies;
      /** True when this call parsed the file (the first analysis of it in this thread). */
      readonly parsed: boolean;
    }
  | {
      readonly kind: 'error';
      readonly file: string;
      readonly error: FileError;
      /** `parse`: the text does not parse (depends on nothing else); `analysis`: the engine failed on this module. */
      readonly stage: 'parse' | 'analysis';
      readonly parsed: boolean;
    };

const FILE_ERROR_KEYS = new Set(['file', 'message', 'position']);

/** `parseModule` returns a parsed module or a `FileError`; this tells them apart by the error's exact shape. */
export function isFileError(value: unknown): value is FileError {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.file === 'string' && typeof record.message === 'string' && Object.keys(record).every((key) => FILE_ERROR_KEYS.has(key));
}

/**
 * Holds one shard of the review — its sources, their ASTs once parsed, and the latest summaries of every module — and
 * analyses modules on request. Runs inside a worker thread, or in the calling thread when `threads` is 0. A file is
 * parsed only when it must be analysed (a cache hit never parses it) and at most once: its AST stays here across
 * rounds and never crosses a thread boundary.
 */
export class ModuleHost {
  readonly #sources = new Map<string, SourceFile>();
  readonly #parsed = new Map<string, unknown>();
  readonly #summaries = new Map<string, unknown>();
  readonly #files: ReadonlySet<string>;

  constructor(
    private readonly engine: OpaqueEngine,
    private readonly rules: unknown,
    sources: readonly SourceFile[],
    files: readonly string[],
  ) {
    for (const source of sources) this.#sources.set(source.file, source);
    this.#files = new Set(files);
  }

  /** Installs the summaries of the round about to run (only those that changed since the last call). */
  updateSummaries(changed: readonly (readonly [string, unknown])[]): void {
    for (const [file, summary] of changed) this.#summaries.set(file, summary);
  }

  /** Analyses one module of this shard against the installed summaries. An engine exception becomes a `FileError`. */
  analyze(file: string): ModuleOutcome {
    let parsed = false;
    let module = this.#parsed.get(file);
    if (module === undefined) {
      const source = this.#sources.get(file);
      if (source === undefined) return { kind: 'error', file, error: { file, message: 'internal: file not in this shard' }, stage: 'analysis', parsed };
      try {
        module = this.engine.parseModule(source);
      } catch (error) {
        module = { file, message: `parse failed: ${messageOf(error)}` } satisfies FileError;
      }
      this.#parsed.set(file, module);
      parsed = true;
    }
    if (isFileError(module)) return { kind: 'error', file, error: module, stage: 'parse', parsed };
    const summaries = new TrackingMap(this.#summaries);
    const files = new TrackingSet(this.#files);
    try {
      const analysis = this.engine.analyzeModule(module, this.rules, summaries, files);
      return { kind: 'analysis', file, analysis, dependencies: dependenciesOf(summaries, files), parsed };
    } catch (error) {
      // One module the engine cannot handle must not end the review of the others; it is reported, not hidden.
      return { kind: 'error', file, error: { file, message: `analysis failed: ${messageOf(error)}` }, stage: 'analysis', parsed };
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
