import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModuleAnalysis } from './engine/api.js';
import { SEVERITIES, VULNERABILITY_CLASSES, type FileError, type Finding, type FlowStep, type SourcePosition, type SourceRange } from './types.js';
import { decodePlain, digestPlain, encodePlain, UnencodableValueError } from './workers/plain-data.js';
import type { ModuleDependencies } from './workers/tracking.js';

/**
 * The incremental-review cache: a module's analysis is a pure function of the engine and rules, its path and text,
 * and the summaries (and file-set answers) it read; all of that is the key, so a hit is exactly what a fresh analysis
 * would give. Entries live in `<dir>/<2 hex>/<sha256>.json`; each holds a few variants of one (path, text) that differ
 * in the summaries their imports had. Files are written atomically and validated field by field when read: a corrupt
 * or foreign file is a miss, never trusted, and nothing read from it is ever executed or used as a path.
 */

export const CACHE_FORMAT = 'rampart-review-cache/v1';

/** Variants kept per (path, text): enough for the rounds of one review plus a few dependency states. */
const MAX_VARIANTS = 8;

/** What a cached analysis depended on, with the digests the dependencies had. */
interface StoredDependencies {
  /** [file, summary digest or null when it had none]. */
  readonly summaries: readonly (readonly [string, string | null])[];
  readonly files: readonly (readonly [string, boolean])[];
  readonly allSummaries?: string;
  readonly allFiles?: string;
}

type StoredVariant =
  | { readonly dependencies: StoredDependencies; readonly summary: unknown; readonly findings: readonly Finding[] }
  | { readonly error: FileError };

/** The current state of the review that cached variants are matched against. */
export interface DependencyState {
  /** The digest of a module's current summary, null when it has none, undefined when it cannot be digested. */
  summaryDigest(file: string): string | null | undefined;
  hasFile(file: string): boolean;
  /** Digest of every current summary, undefined when one cannot be digested. */
  allSummariesDigest(): string | undefined;
  allFilesDigest(): string;
}

/** A cache hit: the analysis (or parse error) and what it depended on. */
export type CachedOutcome =
  | { readonly kind: 'analysis'; readonly analysis: ModuleAnalysis<unknown>; readonly dependencies: ModuleDependencies }
  | { readonly kind: 'error'; readonly error: FileError };

/** A content-addressed store of module analyses under `directory`, salted with the engine and rules digest. */
export class ReviewCache {
  readonly #loaded = new Map<string, StoredVariant[]>();
  readonly #dirty = new Set<string>();

  constructor(
    readonly directory: string,
    private readonly salt: string,
  ) {}

  /** The key of one module's (path, text) under this engine and rule set. */
  keyOf(file: string, text: string): string {
    return createHash('sha256').update(this.salt).update('\0').update(file).update('\0').update(text).digest('hex');
  }

  /** The cached outcome whose recorded dependencies all still hold, if any. */
  find(key: string, state: DependencyState): CachedOutcome | undefined {
    for (const variant of this.#variants(key)) {
      if ('error' in variant) return { kind: 'error', error: variant.error };
      if (!dependenciesHold(variant.dependencies, state)) continue;
      let summary: unknown;
      try {
        summary = decodePlain(variant.summary);
      } catch {
        continue;
      }
      const { dependencies } = variant;
      return {
        kind: 'analysis',
        analysis: { summary, findings: variant.findings },
        dependencies: {
          summaryKeys: dependencies.summaries.map(([file]) => file),
          fileKeys: dependencies.files.map(([file]) => file),
          allSummaries: dependencies.allSummaries !== undefined,
          allFiles: dependencies.allFiles !== undefined,
        },
      };
    }
    return undefined;
  }

  /** Records a fresh analysis with the digests its dependencies have now. Uncacheable data is skipped silently. */
  rememberAnalysis(key: string, analysis: ModuleAnalysis<unknown>, dependencies: ModuleDependencies, state: DependencyState): void {
    let summary: unknown;
    const summaries: [string, string | null][] = [];
    try {
      summary = encodePlain(analysis.summary);
      for (const file of dependencies.summaryKeys) {
        const digest = state.summaryDigest(file);
        if (digest === undefined) return;
        summaries.push([file, digest]);
      }
    } catch (error) {
      if (error instanceof UnencodableValueError) return;
      throw error;
    }
    const stored: StoredDependencies = {
      summaries,
      files: dependencies.fileKeys.map((file) => [file, state.hasFile(file)] as const),
      ...(dependencies.allFiles ? { allFiles: state.allFilesDigest() } : {}),
    };
    if (dependencies.allSummaries) {
      const all = state.allSummariesDigest();
      if (all === undefined) return;
      Object.assign(stored, { allSummaries: all });
    }
    const variant: StoredVariant = { dependencies: stored, summary, findings: analysis.findings };
    const variants = this.#variants(key).filter((existing) => 'error' in existing || JSON.stringify(existing.dependencies) !== JSON.stringify(stored));
    this.#loaded.set(key, [variant, ...variants].slice(0, MAX_VARIANTS));
    this.#dirty.add(key);
  }

  /** Records that a (path, text) does not parse: the same text will not parse next time either. */
  rememberError(key: string, error: FileError): void {
    this.#loaded.set(key, [{ error }]);
    this.#dirty.add(key);
  }

  /**
   * Writes the changed entries, each atomically (temporary file + rename) so a reader never sees half an entry.
   * A cache that cannot be written only makes the next review slower; the review itself never fails for it.
   */
  flush(): void {
    if (this.#dirty.size === 0) return;
    try {
      mkdirSync(this.directory, { recursive: true });
      const ignoreFile = join(this.directory, '.gitignore');
      if (!existsSync(ignoreFile)) writeFileSync(ignoreFile, '# rampart review cache: local, never committed\n*\n');
    } catch {
      return;
    }
    for (const key of this.#dirty) {
      const path = this.#pathOf(key);
      try {
        mkdirSync(join(this.directory, key.slice(0, 2)), { recursive: true });
        const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
        writeFileSync(temporary, JSON.stringify({ format: CACHE_FORMAT, key, variants: this.#loaded.get(key) ?? [] }));
        renameSync(temporary, path);
      } catch {
        // best effort, see above
      }
    }
    this.#dirty.clear();
  }

  #pathOf(key: string): string {
    return join(this.directory, key.slice(0, 2), `${key}.json`);
  }

  #variants(key: string): StoredVariant[] {
    let variants = this.#loaded.get(key);
    if (variants === undefined) {
      variants = readEntry(this.#pathOf(key), key);
      this.#loaded.set(key, variants);
    }
    return variants;
  }
}

function dependenciesHold(stored: StoredDependencies, state: DependencyState): boolean {
  if (stored.allFiles !== undefined && stored.allFiles !== state.allFilesDigest()) return false;
  if (stored.allSummaries !== undefined && stored.allSummaries !== state.allSummariesDigest()) return false;
  for (const [file, present] of stored.files) if (state.hasFile(file) !== present) return false;
  for (const [file, digest] of stored.summaries) if (state.summaryDigest(file) !== digest) return false;
  return true;
}

/** Reads and validates one cache entry; anything unexpected makes it an empty (missing) entry. */
function readEntry(path: string, key: string): StoredVariant[] {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
  if (!isRecord(value) || value.format !== CACHE_FORMAT || value.key !== key || !Array.isArray(value.variants)) return [];
  const variants: StoredVariant[] = [];
  for (const variant of value.variants.slice(0, MAX_VARIANTS)) {
    const valid = validVariant(variant);
    if (valid === undefined) return []; // one bad variant and the whole entry is suspect
    variants.push(valid);
  }
  return variants;
}

/** The summary digest helper the orchestrator's `DependencyState` uses; undefined when the summary has no encoding. */
export function summaryDigest(summary: unknown): string | undefined {
  try {
    return digestPlain(summary);
  } catch (error) {
    if (error instanceof UnencodableValueError) return undefined;
    throw error;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isHex = (value: unknown): value is string => isString(value) && /^[0-9a-f]{64}$/.test(value);

function validVariant(value: unknown): StoredVariant | undefined {
  if (!isRecord(value)) return undefined;
  if ('error' in value) {
    const error = validFileError(value.error);
    return error === undefined ? undefined : { error };
  }
  const dependencies = validDependencies(value.dependencies);
  if (dependencies === undefined || !('summary' in value) || !Array.isArray(value.findings)) return undefined;
  const findings: Finding[] = [];
  for (const finding of value.findings) {
    const valid = validFinding(finding);
    if (valid === undefined) return undefined;
    findings.push(valid);
  }
  return { dependencies, summary: value.summary, findings };
}

function validDependencies(value: unknown): StoredDependencies | undefined {
  if (!isRecord(value) || !Array.isArray(value.summaries) || !Array.isArray(value.files)) return undefined;
  const summaries: [string, string | null][] = [];
  for (const pair of value.summaries) {
    if (!Array.isArray(pair) || pair.length !== 2 || !isString(pair[0]) || !(pair[1] === null || isHex(pair[1]))) return undefined;
    summaries.push([pair[0], pair[1] as string | null]);
  }
  const files: [string, boolean][] = [];
  for (const pair of value.files) {
    if (!Array.isArray(pair) || pair.length !== 2 || !isString(pair[0]) || typeof pair[1] !== 'boolean') return undefined;
    files.push([pair[0], pair[1]]);
  }
  if (value.allSummaries !== undefined && !isHex(value.allSummaries)) return undefined;
  if (value.allFiles !== undefined && !isHex(value.allFiles)) return undefined;
  return {
    summaries,
    files,
    ...(isString(value.allSummaries) ? { allSummaries: value.allSummaries } : {}),
    ...(isString(value.allFiles) ? { allFiles: value.allFiles } : {}),
  };
}

function validPosition(value: unknown): SourcePosition | undefined {
  if (!isRecord(value) || !Number.isInteger(value.line) || !Number.isInteger(value.column)) return undefined;
  return { line: value.line as number, column: value.column as number };
}

function validRange(value: unknown): SourceRange | undefined {
  if (!isRecord(value) || !isString(value.file)) return undefined;
  const start = validPosition(value.start);
  const end = validPosition(value.end);
  return start === undefined || end === undefined ? undefined : { file: value.file, start, end };
}

function validFileError(value: unknown): FileError | undefined {
  if (!isRecord(value) || !isString(value.file) || !isString(value.message)) return undefined;
  if (value.position === undefined) return { file: value.file, message: value.message };
  const position = validPosition(value.position);
  return position === undefined ? undefined : { file: value.file, message: value.message, position };
}

/**
 * Checks that a value read from outside (a cache file) is a `Finding` in every field the reporters and the baseline
 * use, and rebuilds it from those fields only (nothing else read along is carried into a report).
 */
export function validFinding(value: unknown): Finding | undefined {
  if (!isRecord(value)) return undefined;
  const { ruleId, severity, confidence, cwe, owasp, message, fixGuidance, fingerprint } = value;
  if (![ruleId, cwe, owasp, message, fixGuidance, fingerprint].every(isString)) return undefined;
  if (!(VULNERABILITY_CLASSES as readonly unknown[]).includes(value.class)) return undefined;
  if (!(SEVERITIES as readonly unknown[]).includes(severity)) return undefined;
  if (!['low', 'medium', 'high'].includes(confidence as string)) return undefined;
  const range = validRange(value.range);
  if (range === undefined || !Array.isArray(value.flow)) return undefined;
  const flow: FlowStep[] = [];
  for (const step of value.flow) {
    if (!isRecord(step) || !isString(step.message)) return undefined;
    const stepRange = validRange(step.range);
    if (stepRange === undefined) return undefined;
    flow.push({ range: stepRange, message: step.message });
  }
  let fix: Finding['fix'];
  if (value.fix !== undefined) {
    if (!isRecord(value.fix) || !isString(value.fix.description) || !Array.isArray(value.fix.edits)) return undefined;
    const edits: { range: SourceRange; text: string }[] = [];
    for (const edit of value.fix.edits) {
      if (!isRecord(edit) || !isString(edit.text)) return undefined;
      const editRange = validRange(edit.range);
      if (editRange === undefined) return undefined;
      edits.push({ range: editRange, text: edit.text });
    }
    fix = { description: value.fix.description, edits };
  }
  return {
    ruleId: ruleId as string,
    class: value.class as Finding['class'],
    severity: severity as Finding['severity'],
    confidence: confidence as Finding['confidence'],
    cwe: cwe as string,
    owasp: owasp as string,
    message: message as string,
    fixGuidance: fixGuidance as string,
    range,
    flow,
    fingerprint: fingerprint as string,
    ...(fix === undefined ? {} : { fix }),
  };
}
