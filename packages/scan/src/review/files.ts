import { lstatSync, readdirSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { SourceFile } from './engine/api.js';
import type { FileError } from './types.js';

/** The extensions `review` analyses. Declaration files (`.d.ts`) hold no code that runs, so they are left out. */
export const SOURCE_EXTENSIONS: readonly string[] = ['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs'];

/** Directories that hold dependencies, build output or VCS data: never the code under review. */
export const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set(['node_modules', 'dist', 'build', 'coverage', '.next', 'out', '.git', '.rampart']);

/** A line longer than this marks a minified or generated bundle, which is not reviewed. */
export const MINIFIED_LINE_LENGTH = 2000;

/** Files larger than this are reported and skipped rather than parsed (a generated blob would stall a worker). */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

/** A path that cannot be reviewed at all: missing, or outside the review root. The command exits 2 on it. */
export class ReviewPathError extends Error {
  readonly code = 'REVIEW_PATH';
}

export interface CollectedFiles {
  /** Readable files to review, sorted by path relative to the root. */
  readonly sources: readonly SourceFile[];
  /** Files found but not readable (permissions, too large, not text). */
  readonly errors: readonly FileError[];
}

/** Whether `name` is a reviewable source file by its name alone. */
export function isSourceFileName(name: string): boolean {
  if (name.endsWith('.d.ts')) return false;
  if (/\.min\.[cm]?js$/.test(name)) return false;
  return SOURCE_EXTENSIONS.some((extension) => name.endsWith(extension));
}

/** True for minified bundles: a single very long line means no human reviews (or writes) this file. */
export function looksMinified(text: string): boolean {
  let lineStart = 0;
  for (;;) {
    const newline = text.indexOf('\n', lineStart);
    const end = newline === -1 ? text.length : newline;
    if (end - lineStart > MINIFIED_LINE_LENGTH) return true;
    if (newline === -1) return false;
    lineStart = newline + 1;
  }
}

/** `path` relative to `root` with `/` separators, or undefined when it lies outside the root. */
export function relativeToRoot(root: string, path: string): string | undefined {
  const rel = relative(root, path);
  if (rel === '') return '';
  if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

interface IgnoreScope {
  /** The directory of the `.gitignore`, relative to the root ('' for the root itself). */
  readonly base: string;
  readonly rules: Ignore;
}

/** Tests whether a root-relative path is ignored by any `.gitignore` from the root down to it. */
function ignoredBy(scopes: readonly IgnoreScope[], rel: string, isDirectory: boolean): boolean {
  for (const scope of scopes) {
    const inScope = scope.base === '' ? rel : rel.slice(scope.base.length + 1);
    if (inScope === '') continue;
    if (scope.rules.ignores(isDirectory ? `${inScope}/` : inScope)) return true;
  }
  return false;
}

function gitignoreIn(root: string, dirRel: string): IgnoreScope | undefined {
  const path = join(root, dirRel, '.gitignore');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  return { base: dirRel, rules: ignore().add(text) };
}

/**
 * Expands `paths` (files and directories, absolute or relative to `cwd`) into the TS/JS sources under `root`.
 *
 * Protects the review's integrity and the machine running it: `.gitignore`d files and dependency/build directories are
 * skipped (their findings are not the project's), symbolic links that lead out of the root are not followed (a link
 * to `/` or a home directory must not turn a review into a disk crawl or leak foreign paths into a report), link
 * cycles are visited once, and minified bundles are skipped. Throws `ReviewPathError` for a path that does not exist
 * or lies outside the root; files that exist but cannot be read become `FileError`s.
 */
export function collectSourceFiles(options: { readonly root: string; readonly paths?: readonly string[]; readonly cwd?: string }): CollectedFiles {
  const root = resolve(options.root);
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    throw new ReviewPathError(`review root ${root} does not exist`);
  }
  const cwd = options.cwd ?? root;
  const requested = options.paths === undefined || options.paths.length === 0 ? [root] : options.paths.map((path) => resolve(cwd, path));

  const found = new Map<string, string>(); // real path → root-relative path (the first name a file is reached by)
  const errors: FileError[] = [];
  const visitedDirectories = new Set<string>();

  const insideRoot = (real: string): boolean => relativeToRoot(realRoot, real) !== undefined;

  const addFile = (absolute: string, rel: string, stats: Stats): void => {
    let real: string;
    try {
      real = realpathSync(absolute);
    } catch (error) {
      errors.push({ file: rel, message: `cannot read: ${messageOf(error)}` });
      return;
    }
    if (!insideRoot(real)) return;
    if (found.has(real)) return;
    if (stats.size > MAX_FILE_BYTES) {
      errors.push({ file: rel, message: `skipped: larger than ${MAX_FILE_BYTES} bytes` });
      return;
    }
    found.set(real, rel);
  };

  const walk = (absolute: string, rel: string, scopes: readonly IgnoreScope[]): void => {
    let real: string;
    try {
      real = realpathSync(absolute);
    } catch {
      return;
    }
    if (!insideRoot(real) || visitedDirectories.has(real)) return;
    visitedDirectories.add(real);
    const own = gitignoreIn(root, rel);
    const here = own === undefined ? scopes : [...scopes, own];
    let entries: string[];
    try {
      entries = readdirSync(absolute);
    } catch (error) {
      errors.push({ file: rel === '' ? '.' : rel, message: `cannot read directory: ${messageOf(error)}` });
      return;
    }
    entries.sort();
    for (const name of entries) {
      const childAbsolute = join(absolute, name);
      const childRel = rel === '' ? name : `${rel}/${name}`;
      let stats: Stats;
      try {
        // stat follows a link; whether its target stays inside the root is checked on the real path.
        stats = lstatSync(childAbsolute).isSymbolicLink() ? statSync(childAbsolute) : lstatSync(childAbsolute);
      } catch {
        continue; // a dangling link
      }
      if (stats.isDirectory()) {
        if (SKIPPED_DIRECTORIES.has(name)) continue;
        if (ignoredBy(here, childRel, true)) continue;
        walk(childAbsolute, childRel, here);
      } else if (stats.isFile() && isSourceFileName(name) && !ignoredBy(here, childRel, false)) {
        addFile(childAbsolute, childRel, stats);
      }
    }
  };

  for (const path of requested) {
    const rel = relativeToRoot(root, path);
    if (rel === undefined) throw new ReviewPathError(`${path} is outside the review root ${root} (set --root)`);
    let stats: Stats;
    try {
      stats = statSync(path);
    } catch {
      throw new ReviewPathError(`${path} does not exist`);
    }
    if (stats.isDirectory()) {
      walk(path, rel, scopesAbove(root, rel));
    } else if (isSourceFileName(path)) {
      // A file named on the command line is reviewed even if a .gitignore matches it: it was asked for by name.
      addFile(path, rel, stats);
    } else {
      throw new ReviewPathError(`${path} is not a TypeScript/JavaScript source file (${SOURCE_EXTENSIONS.join(' ')})`);
    }
  }

  const sources: SourceFile[] = [];
  for (const rel of [...found.values()].sort()) {
    let text: string;
    try {
      text = readFileSync(join(root, rel), 'utf8');
    } catch (error) {
      errors.push({ file: rel, message: `cannot read: ${messageOf(error)}` });
      continue;
    }
    if (looksMinified(text)) continue;
    sources.push({ file: rel, text });
  }
  errors.sort((a, b) => compareText(a.file, b.file));
  return { sources, errors };
}

/** The `.gitignore` scopes that apply to a directory below the root: those of the root and every directory between. */
function scopesAbove(root: string, rel: string): IgnoreScope[] {
  const scopes: IgnoreScope[] = [];
  const parts = rel === '' ? [] : rel.split('/');
  for (let i = 0; i < parts.length; i++) {
    const dirRel = parts.slice(0, i).join('/');
    const scope = gitignoreIn(root, dirRel);
    if (scope !== undefined) scopes.push(scope);
  }
  return scopes;
}

/** Counts lines as an editor shows them: a trailing newline does not start another line. */
export function countLines(text: string): number {
  if (text === '') return 0;
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return text.endsWith('\n') ? lines - 1 : lines;
}

/** Code-unit order, independent of locale, so output is byte-for-byte reproducible on every machine. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function messageOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}
