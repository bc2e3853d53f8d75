/**
 * Applying fixes to the files on disk. A fix is written only when it is certain to land where it was planned: the file
 * must still hold the text the review saw, the edits of different fixes must not overlap, the fixed file must still
 * parse, and the write is atomic (a temporary file in the same directory, then a rename) so an interrupted run never
 * leaves half a file. Everything else is reported as not fixed, with the reason.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type * as t from '@babel/types';
import { isFileError, parseSource } from '../engine/parse.js';
import { compareText, isSourceFileName, relativeToRoot } from '../files.js';
import type { Finding } from '../types.js';
import { unifiedDiff } from './diff.js';
import { planFix, type FixableFile } from './plan.js';
import { applyEdits, editsOverlap, LineIndex, type OffsetEdit } from './text.js';

/** What `--fix` does with the findings of a review. */
export interface FixOptions {
  /** Compute the fixes and their diff, write nothing. */
  readonly dryRun?: boolean;
  /** Which findings to fix (default: every finding the review reports). */
  readonly select?: (finding: Finding) => boolean;
}

export interface FixedFinding {
  readonly finding: Finding;
  readonly description: string;
}

export interface UnfixedFinding {
  readonly finding: Finding;
  readonly reason: string;
}

/** What `--fix` did: findings fixed (or, in a dry run, that would be), findings left with the reason, the diff. */
export interface FixOutcome {
  readonly dryRun: boolean;
  readonly fixed: readonly FixedFinding[];
  readonly unfixed: readonly UnfixedFinding[];
  /** Files rewritten (in a dry run: that would be), root-relative. */
  readonly files: readonly string[];
  /** The unified diff of every change, file by file. */
  readonly diff: string;
}

export interface FixFindingsOptions {
  readonly root: string;
  readonly findings: readonly Finding[];
  readonly dryRun?: boolean;
  /**
   * The texts the review analysed, by root-relative path. When given, a file whose text on disk differs is not
   * touched: its findings' places may no longer be where the review saw them.
   */
  readonly reviewed?: ReadonlyMap<string, string>;
}

function comparePlace(a: Finding, b: Finding): number {
  return a.range.start.line - b.range.start.line || a.range.start.column - b.range.start.column || compareText(a.ruleId, b.ruleId) || compareText(a.fingerprint, b.fingerprint);
}

function parsed(file: string, text: string): t.File | undefined {
  const result = parseSource({ file, text });
  if (isFileError(result)) return undefined;
  // Parsed with error recovery: a file with recovered errors is not one to rewrite mechanically.
  const errors = (result.ast as { errors?: readonly unknown[] }).errors;
  return errors !== undefined && errors.length > 0 ? undefined : result.ast;
}

/**
 * Fixes what can be fixed mechanically among `findings` (SQL built from strings, `exec` of a built command, JWT
 * verification without pinned algorithms, cookies without flags — see the fixers) and writes the files, or only
 * computes the diff in a dry run. Protects against a fix corrupting code: a file changed since it was read, fixes that
 * would overlap, or a result that no longer parses are refused, never written.
 */
export function fixFindings(options: FixFindingsOptions): FixOutcome {
  const root = resolve(options.root);
  const loaded = new Map<string, FixableFile | string>();
  const load = (file: string): FixableFile | string => {
    const known = loaded.get(file);
    if (known !== undefined) return known;
    let result: FixableFile | string;
    const path = resolve(root, file);
    if (relativeToRoot(root, path) !== file || !isSourceFileName(file)) {
      result = 'the finding names a file outside the review root';
    } else {
      let text: string | undefined;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        text = undefined;
      }
      const reviewed = options.reviewed?.get(file);
      const ast = text === undefined ? undefined : parsed(file, text);
      if (text === undefined) result = 'the file cannot be read';
      else if (reviewed !== undefined && reviewed !== text) result = 'the file has changed since it was reviewed';
      else if (ast === undefined) result = 'the file does not parse cleanly';
      else result = { file, text, ast, lines: new LineIndex(text) };
    }
    loaded.set(file, result);
    return result;
  };
  const related = (file: string): t.File | undefined => {
    const source = load(file);
    return typeof source === 'string' ? undefined : source.ast;
  };

  const byFile = new Map<string, Finding[]>();
  for (const finding of options.findings) byFile.set(finding.range.file, [...(byFile.get(finding.range.file) ?? []), finding]);
  const fixed: FixedFinding[] = [];
  const unfixed: UnfixedFinding[] = [];
  const files: string[] = [];
  let diff = '';

  for (const file of [...byFile.keys()].sort(compareText)) {
    const findings = (byFile.get(file) ?? []).sort(comparePlace);
    const source = load(file);
    if (typeof source === 'string') {
      unfixed.push(...findings.map((finding) => ({ finding, reason: source })));
      continue;
    }
    const accepted: OffsetEdit[] = [];
    const fixedHere: FixedFinding[] = [];
    for (const finding of findings) {
      const attempt = planFix(finding, source, related);
      if (attempt.kind === 'refused') {
        unfixed.push({ finding, reason: attempt.reason });
        continue;
      }
      // The same edit twice (two findings on one call, two fixes importing execFile) is one edit.
      const fresh = attempt.edits.filter((edit) => !accepted.some((other) => other.start === edit.start && other.end === edit.end && other.text === edit.text));
      if (fresh.some((edit) => edit.start > edit.end || edit.end > source.text.length)) {
        unfixed.push({ finding, reason: 'its fix does not fit the file' });
        continue;
      }
      if (fresh.some((edit) => accepted.some((other) => editsOverlap(edit, other)))) {
        unfixed.push({ finding, reason: 'its fix overlaps another fix of the same code; run --fix again to apply it' });
        continue;
      }
      accepted.push(...fresh);
      fixedHere.push({ finding, description: attempt.description });
    }
    if (fixedHere.length === 0) continue;
    const after = applyEdits(source.text, accepted);
    const failure = after === source.text ? undefined : parsed(file, after) === undefined ? 'the fixed file would not parse' : options.dryRun === true ? undefined : write(root, file, source.text, after);
    if (failure !== undefined) {
      unfixed.push(...fixedHere.map(({ finding }) => ({ finding, reason: failure })));
      continue;
    }
    fixed.push(...fixedHere);
    if (after !== source.text) {
      files.push(file);
      diff += unifiedDiff(file, source.text, accepted);
    }
  }
  return { dryRun: options.dryRun === true, fixed, unfixed, files, diff };
}

/** Writes `after` over `file` atomically, unless the file no longer holds `before`; returns why it did not. */
function write(root: string, file: string, before: string, after: string): string | undefined {
  let path: string;
  let current: string;
  let mode: number;
  try {
    // Through a symbolic link to the file it names: renaming over the link would replace the link, not fix the code.
    path = realpathSync(join(root, file));
    if (relativeToRoot(realpathSync(root), path) === undefined) return 'the file is a link to outside the review root';
    current = readFileSync(path, 'utf8');
    mode = statSync(path).mode & 0o7777;
  } catch {
    return 'the file cannot be read any more';
  }
  if (current !== before) return 'the file changed while the fixes were computed';
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.rampart-fix`);
  try {
    writeFileSync(temporary, after, { flag: 'wx', mode });
    renameSync(temporary, path);
    return undefined;
  } catch (error) {
    rmSync(temporary, { force: true });
    return `the file cannot be written: ${error instanceof Error ? error.message : String(error)}`;
  }
}
