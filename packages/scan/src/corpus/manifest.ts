/**
 * The labelled corpus that measures `rampart review`: one directory per case under `corpus/<class>/<case>/`, each with
 * a `case.yaml` saying what the code is (class, framework, flow), whether it is vulnerable, where the sinks are, and
 * which case is its twin. A label that is wrong makes every number computed from it wrong, so the loader refuses a
 * corpus with any inconsistency and names every problem at once.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { VULNERABILITY_CLASSES, type VulnerabilityClass } from '../review/types.js';

export const FRAMEWORKS = ['express', 'koa', 'fastify', 'hono', 'nestjs', 'nextjs', 'node-http', 'none'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/**
 * How untrusted data (or a misconfiguration) reaches the sink. Safe twins usually keep their vulnerable twin's flow, or
 * say `sanitizer-present`; `sanitizer-wrong-path` marks a vulnerable case whose sanitizer does not cover the sink.
 */
export const FLOWS = [
  'direct',
  'helper',
  'cross-file',
  'destructuring',
  'async',
  'class-method',
  'callback',
  'sanitizer-present',
  'sanitizer-wrong-path',
  'config',
  'spread',
  'template',
] as const;
export type Flow = (typeof FLOWS)[number];

/** A sink line a vulnerable case must be reported at; `file` is relative to the case directory, `/`-separated. */
export interface Expectation {
  readonly file: string;
  readonly line: number;
}

/** A file of a case, as the reviewer sees it: path relative to the case directory (the review root) and text. */
export interface CaseFile {
  readonly file: string;
  readonly text: string;
}

export interface CorpusCase {
  /** `<class>/<case directory>`, unique in the corpus. */
  readonly id: string;
  readonly dir: string;
  readonly class: VulnerabilityClass;
  readonly framework: Framework;
  readonly flow: Flow;
  readonly vulnerable: boolean;
  /** The id of the other case of the pair. */
  readonly twin: string;
  /** Empty for safe cases. */
  readonly expect: readonly Expectation[];
  readonly description: string;
  readonly files: readonly CaseFile[];
}

/** Every problem found in a corpus, so that one run shows all of them. */
export class CorpusError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`the corpus has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    this.name = 'CorpusError';
    this.problems = problems;
  }
}

/** The extensions of the source files a case may hold; anything else in a case directory is a labelling mistake. */
export const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'] as const;

const isSource = (file: string): boolean => SOURCE_EXTENSIONS.some((ext) => file.endsWith(ext));

const includes = <T extends string>(list: readonly T[], value: unknown): value is T =>
  typeof value === 'string' && (list as readonly string[]).includes(value);

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

interface RawCase {
  readonly id: string;
  readonly dir: string;
  readonly manifest: Record<string, unknown>;
}

function readRawCases(root: string, problems: string[]): RawCase[] {
  const raw: RawCase[] = [];
  for (const classEntry of readdirSync(root, { withFileTypes: true })) {
    if (!classEntry.isDirectory()) continue;
    const classDir = join(root, classEntry.name);
    for (const caseEntry of readdirSync(classDir, { withFileTypes: true })) {
      const id = `${classEntry.name}/${caseEntry.name}`;
      if (!caseEntry.isDirectory()) {
        problems.push(`${id}: expected a case directory`);
        continue;
      }
      const dir = join(classDir, caseEntry.name);
      let manifest: unknown;
      try {
        manifest = parseYaml(readFileSync(join(dir, 'case.yaml'), 'utf8'));
      } catch (error) {
        problems.push(`${id}: case.yaml cannot be read: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
        problems.push(`${id}: case.yaml must be a mapping`);
        continue;
      }
      raw.push({ id, dir, manifest: manifest as Record<string, unknown> });
    }
  }
  return raw;
}

function readExpectations(id: string, value: unknown, problems: string[]): Expectation[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push(`${id}: expect must be a list of { file, line }`);
    return [];
  }
  const out: Expectation[] = [];
  for (const item of value as unknown[]) {
    const entry = (item ?? {}) as { file?: unknown; line?: unknown };
    if (typeof entry.file !== 'string' || typeof entry.line !== 'number' || !Number.isInteger(entry.line)) {
      problems.push(`${id}: each expect entry needs a string file and an integer line`);
      continue;
    }
    out.push({ file: entry.file, line: entry.line });
  }
  return out;
}

function validateCase(raw: RawCase, problems: string[]): CorpusCase | undefined {
  const { id, dir, manifest: m } = raw;
  const before = problems.length;
  const [classDir] = id.split('/');
  if (!includes(VULNERABILITY_CLASSES, m.class)) problems.push(`${id}: unknown class ${JSON.stringify(m.class)}`);
  else if (m.class !== classDir) problems.push(`${id}: class ${m.class} does not match its directory ${classDir ?? ''}`);
  if (!includes(FRAMEWORKS, m.framework)) problems.push(`${id}: unknown framework ${JSON.stringify(m.framework)}`);
  if (!includes(FLOWS, m.flow)) problems.push(`${id}: unknown flow ${JSON.stringify(m.flow)}`);
  if (typeof m.vulnerable !== 'boolean') problems.push(`${id}: vulnerable must be true or false`);
  if (typeof m.twin !== 'string' || m.twin.length === 0) problems.push(`${id}: twin must name the other case of the pair`);
  if (typeof m.description !== 'string' || m.description.trim().length === 0) problems.push(`${id}: description is missing`);

  const files: CaseFile[] = [];
  for (const path of listFiles(dir)) {
    const file = relative(dir, path).split(sep).join('/');
    if (file === 'case.yaml') continue;
    if (!isSource(file)) {
      problems.push(`${id}: ${file} is not a source file`);
      continue;
    }
    files.push({ file, text: readFileSync(path, 'utf8') });
  }
  files.sort((a, b) => a.file.localeCompare(b.file));
  if (files.length === 0) problems.push(`${id}: the case has no source files`);

  const expect = readExpectations(id, m.expect, problems);
  if (m.vulnerable === true && expect.length === 0) problems.push(`${id}: a vulnerable case must list its sink lines in expect`);
  if (m.vulnerable === false && expect.length > 0) problems.push(`${id}: a safe case must not have expect lines`);
  for (const e of expect) {
    const source = files.find((f) => f.file === e.file);
    if (source === undefined) {
      problems.push(`${id}: expect names ${e.file}, which is not in the case`);
      continue;
    }
    const lines = source.text.split('\n');
    const text = lines[e.line - 1];
    if (e.line < 1 || text === undefined) problems.push(`${id}: ${e.file}:${e.line} is past the end of the file`);
    else if (text.trim().length === 0) problems.push(`${id}: ${e.file}:${e.line} is a blank line`);
  }
  if (problems.length > before) return undefined;
  return {
    id,
    dir,
    class: m.class as VulnerabilityClass,
    framework: m.framework as Framework,
    flow: m.flow as Flow,
    vulnerable: m.vulnerable as boolean,
    twin: `${classDir ?? ''}/${m.twin as string}`,
    expect,
    description: (m.description as string).trim(),
    files,
  };
}

function checkTwins(cases: readonly CorpusCase[], problems: string[]): void {
  const byId = new Map(cases.map((c) => [c.id, c]));
  for (const c of cases) {
    const twin = byId.get(c.twin);
    if (twin === undefined) {
      problems.push(`${c.id}: twin ${c.twin} does not exist`);
      continue;
    }
    if (twin.twin !== c.id) problems.push(`${c.id}: twin ${c.twin} names ${twin.twin} as its twin, not this case`);
    if (twin.vulnerable === c.vulnerable) problems.push(`${c.id}: it and its twin ${c.twin} are both ${c.vulnerable ? 'vulnerable' : 'safe'}`);
    if (twin.class !== c.class) problems.push(`${c.id}: its twin ${c.twin} has another class`);
  }
}

/**
 * Loads and validates every case under `dir` (the corpus root). Throws a `CorpusError` listing every problem: an
 * unknown class, framework or flow, a twin that is missing or does not point back, a vulnerable case without sink
 * lines, a sink line outside its file, a safe case with sink lines. Cases come back sorted by id.
 */
export function loadCorpus(dir: string): CorpusCase[] {
  if (!statSync(dir).isDirectory()) throw new CorpusError([`${dir} is not a directory`]);
  const problems: string[] = [];
  const cases: CorpusCase[] = [];
  for (const raw of readRawCases(dir, problems)) {
    const c = validateCase(raw, problems);
    if (c !== undefined) cases.push(c);
  }
  checkTwins(cases, problems);
  if (problems.length > 0) throw new CorpusError(problems);
  return cases.sort((a, b) => a.id.localeCompare(b.id));
}
