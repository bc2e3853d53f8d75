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

/** The name of the file that excludes a subtree's files from review, each pattern with its reason. */
export const REVIEW_IGNORE_FILE = '.rampart-review-ignore';

/** Source files a `.rampart-review-ignore` kept out of the review. */
export interface IgnoredFiles {
  /** The ignore file, relative to the root. */
  readonly ignoreFile: string;
  /** How many source files its patterns matched. */
  readonly files: number;
}

/** A `.rampart-review-ignore` line with a pattern but no reason: the command exits 2 and names the place. */
export class ReviewIgnoreError extends Error {
  readonly code = 'REVIEW_IGNORE';
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

export interface CollectedFiles {
  /** Readable files to review, sorted by path relative to the root. */
  readonly sources: readonly SourceFile[];
  /** Files found but not readable (permissions, too large, not text). */
  readonly errors: readonly FileError[];
  /** Files left out by `.rampart-review-ignore` files, per ignore file (sorted by its path). */
  readonly ignored: readonly IgnoredFiles[];
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
  /** The directory of the ignore file, relative to the root ('' for the root itself). */
  readonly base: string;
  readonly rules: Ignore;
  /** The ignore file, relative to the root. */
  readonly file: string;
}

/** The first ignore file (from the root down) whose patterns match a root-relative path, or undefined. */
function ignoringScope(scopes: readonly IgnoreScope[], rel: string, isDirectory: boolean): IgnoreScope | undefined {
  for (const scope of scopes) {
    const inScope = scope.base === '' ? rel : rel.slice(scope.base.length + 1);
    if (inScope === '') continue;
    if (scope.rules.ignores(isDirectory ? `${inScope}/` : inScope)) return scope;
  }
  return undefined;
}

/** Tests whether a root-relative path is ignored by any ignore file from the root down to it. */
function ignoredBy(scopes: readonly IgnoreScope[], rel: string, isDirectory: boolean): boolean {
  return ignoringScope(scopes, rel, isDirectory) !== undefined;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function gitignoreIn(root: string, dirRel: string): IgnoreScope | undefined {
  const text = readOptional(join(root, dirRel, '.gitignore'));
  const file = dirRel === '' ? '.gitignore' : `${dirRel}/.gitignore`;
  return text === undefined ? undefined : { base: dirRel, rules: ignore().add(text), file };
}

/**
 * Parses a `.rampart-review-ignore`: gitignore patterns, each followed by `# reason`. Lines that are blank or only a
 * comment are skipped. A pattern without a reason throws `ReviewIgnoreError`: code left out of a security review with
 * no recorded why cannot be told from code left out to make the review pass.
 */
export function parseReviewIgnore(file: string, text: string): string[] {
  const patterns: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const separator = /\s#/.exec(line);
    const pattern = (separator === null ? line : line.slice(0, separator.index)).trim();
    const reason = separator === null ? '' : line.slice(separator.index + 2).trim();
    if (reason === '') {
      throw new ReviewIgnoreError(file, index + 1, `"${pattern}" has no reason; write it as "${pattern}  # why these files are not reviewed"`);
    }
    patterns.push(pattern);
  });
  return patterns;
}

function reviewIgnoreIn(root: string, dirRel: string): IgnoreScope | undefined {
  const text = readOptional(join(root, dirRel, REVIEW_IGNORE_FILE));
  if (text === undefined) return undefined;
  const file = dirRel === '' ? REVIEW_IGNORE_FILE : `${dirRel}/${REVIEW_IGNORE_FILE}`;
  return { base: dirRel, rules: ignore().add(parseReviewIgnore(file, text)), file };
}

/**
 * Expands `paths` (files and directories, absolute or relative to `cwd`) into the TS/JS sources under `root`.
 *
 * Protects the review's integrity and the machine running it: `.gitignore`d files and dependency/build directories are
 * skipped (their findings are not the project's), symbolic links that lead out of the root are not followed (a link
 * to `/` or a home directory must not turn a review into a disk crawl or leak foreign paths into a report), link
 * cycles are visited once, and minified bundles are skipped. Files a `.rampart-review-ignore` matches (deliberately
 * vulnerable samples, with the reason next to each pattern) are counted per ignore file and not reviewed. Throws
 * `ReviewPathError` for a path that does not exist or lies outside the root and `ReviewIgnoreError` for an ignore
 * pattern without a reason; files that exist but cannot be read become `FileError`s.
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
  const ignoredCounts = new Map<string, number>();
  const countIgnored = (ignoreFile: string): void => {
    ignoredCounts.set(ignoreFile, (ignoredCounts.get(ignoreFile) ?? 0) + 1);
  };

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

  /**
   * `scopes` are the .gitignore files that apply, `reviewScopes` the .rampart-review-ignore files; `ignoredByFile` is set
   * inside a directory a review-ignore pattern matched, whose source files are only counted.
   */
  const walk = (absolute: string, rel: string, scopes: readonly IgnoreScope[], reviewScopes: readonly IgnoreScope[], ignoredByFile?: string): void => {
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
    const ownReview = ignoredByFile === undefined ? reviewIgnoreIn(root, rel) : undefined;
    const reviewHere = ownReview === undefined ? reviewScopes : [...reviewScopes, ownReview];
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
        walk(childAbsolute, childRel, here, reviewHere, ignoredByFile ?? ignoringScope(reviewHere, childRel, true)?.file);
      } else if (stats.isFile() && isSourceFileName(name) && !ignoredBy(here, childRel, false)) {
        const reviewIgnore = ignoredByFile ?? ignoringScope(reviewHere, childRel, false)?.file;
        if (reviewIgnore === undefined) addFile(childAbsolute, childRel, stats);
        else countIgnored(reviewIgnore);
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
      const reviewScopes = scopesAbove(root, rel, reviewIgnoreIn);
      walk(path, rel, scopesAbove(root, rel, gitignoreIn), reviewScopes, rel === '' ? undefined : ignoringScope(reviewScopes, rel, true)?.file);
    } else if (isSourceFileName(path)) {
      // A file named on the command line is reviewed even if an ignore file matches it: it was asked for by name.
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
  const ignored = [...ignoredCounts].map(([ignoreFile, files]) => ({ ignoreFile, files })).sort((a, b) => compareText(a.ignoreFile, b.ignoreFile));
  return { sources, errors, ignored };
}

/** The ignore scopes that apply to a directory below the root: those of the root and every directory between. */
function scopesAbove(root: string, rel: string, read: (root: string, dirRel: string) => IgnoreScope | undefined): IgnoreScope[] {
  const scopes: IgnoreScope[] = [];
  const parts = rel === '' ? [] : rel.split('/');
  for (let i = 0; i < parts.length; i++) {
    const dirRel = parts.slice(0, i).join('/');
    const scope = read(root, dirRel);
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
