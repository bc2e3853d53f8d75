// `rampart review` against eslint-plugin-security (all fifteen rules, via ESLint's Node API): precision and recall per
// vulnerability class on the labelled corpus (packages/scan/corpus), the time each tool takes over the corpus, and
// review speed in lines per second over ≥100,000 lines of this repository's own TypeScript.
//
// The speed tree is reviewed twice, cold (no cache): by `review()` on worker threads (what `rampart review` runs) and by
// single-threaded `reviewSources`; the corpus is reviewed case by case with `reviewSources` (each case is its own
// review root). RAMPART_BENCH_SCAN_DETAILS=1 lists every missed sink and every false positive of Rampart.
// RAMPART_BENCH_SCAN_SPEED_PEER=0 skips timing ESLint on the speed tree.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  CORPUS_DIR,
  createEslintSecurityRunner,
  loadCorpus,
  scoreFindings,
  type CaseFile,
  type CorpusCase,
  type Metrics,
  type Score,
  type ScoredFinding,
} from '../packages/scan/src/corpus/index.js';
import { builtinRuleSet, reviewSources } from '../packages/scan/src/review/engine/index.js';
import { review } from '../packages/scan/src/review/review.js';
import { VULNERABILITY_CLASSES, type FileError, type Finding } from '../packages/scan/src/review/types.js';
import type { BenchRow } from './harness.js';

const SHOW_DETAILS = process.env.RAMPART_BENCH_SCAN_DETAILS === '1';
const TIME_PEER_ON_SPEED_TREE = process.env.RAMPART_BENCH_SCAN_SPEED_PEER !== '0';
/** Lines the speed tree must reach. */
const SPEED_LINES = 100_000;

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

type ReviewSources = (sources: readonly CaseFile[]) => { readonly findings: readonly Finding[]; readonly errors: readonly FileError[] };

/** The engine with the built-in rule packs loaded and validated once, shared by every case as one review shares them. */
function loadReviewSources(): ReviewSources {
  const rules = builtinRuleSet();
  return (sources) => reviewSources(sources, { rules });
}

interface ToolRun {
  readonly score: Score;
  readonly ms: number;
  readonly errors: number;
}

async function timeCases(
  cases: readonly CorpusCase[],
  reviewCase: (c: CorpusCase) => Promise<{ findings: readonly ScoredFinding[]; errors: number }>,
): Promise<ToolRun> {
  // One untimed case first: module loading and parser start-up are not what the corpus time measures.
  const first = cases[0];
  if (first !== undefined) await reviewCase(first);
  const findings = new Map<string, readonly ScoredFinding[]>();
  let errors = 0;
  const start = performance.now();
  for (const c of cases) {
    const result = await reviewCase(c);
    findings.set(c.id, result.findings);
    errors += result.errors;
  }
  const ms = performance.now() - start;
  return { score: scoreFindings(cases, findings), ms, errors };
}

const pct = (value: number | null): string => (value === null ? '   —' : `${Math.round(value * 100)}%`.padStart(4));
const cells = (m: Metrics | undefined): string =>
  m === undefined ? '   —    —    — ' : `${pct(m.precision)} ${pct(m.recall)} ${pct(m.f1)} `;

function printAccuracy(cases: readonly CorpusCase[], rampart: ToolRun, peer: ToolRun, unmappedReports: number): void {
  const out: string[] = [];
  out.push(`\nreview corpus: ${cases.length} cases, ${cases.filter((c) => c.vulnerable).length} vulnerable · precision / recall / F1`);
  const prf = `${'P'.padStart(4)} ${'R'.padStart(4)} ${'F1'.padStart(4)} `;
  out.push(`${''.padEnd(33)} | ${'rampart'.padEnd(20)}| eslint-plugin-security`);
  out.push(`${'class'.padEnd(27)} ${'sinks'.padStart(5)} | ${prf}     | ${prf}`);
  for (const cls of VULNERABILITY_CLASSES) {
    const sinks = cases.filter((c) => c.class === cls).reduce((n, c) => n + c.expect.length, 0);
    out.push(`${cls.padEnd(27)} ${String(sinks).padStart(5)} | ${cells(rampart.score.perClass.get(cls))}     | ${cells(peer.score.perClass.get(cls))}`);
  }
  const total = cases.reduce((n, c) => n + c.expect.length, 0);
  out.push(`${'overall (micro)'.padEnd(27)} ${String(total).padStart(5)} | ${cells(rampart.score.overall)}     | ${cells(peer.score.overall)}`);
  const counts = (r: ToolRun): string => `TP ${r.score.overall.tp} · FP ${r.score.overall.fp} · FN ${r.score.overall.fn}`;
  out.push(`rampart:                ${counts(rampart)} · ${rampart.ms.toFixed(0)} ms over the corpus · ${rampart.errors} file errors`);
  out.push(`eslint-plugin-security: ${counts(peer)} · ${peer.ms.toFixed(0)} ms over the corpus · ${peer.errors} parse errors · ${unmappedReports} reports of rules with no corpus class (not scored)`);
  process.stdout.write(`${out.join('\n')}\n`);
}

function printDetails(run: ToolRun): void {
  for (const c of run.score.perCase) {
    for (const m of c.missed) process.stdout.write(`  missed   ${c.id}  ${m.file}:${m.line}\n`);
    for (const f of c.spurious) process.stdout.write(`  spurious ${c.id}  ${f.range.file}:${f.range.start.line}  ${f.class} ${f.ruleId ?? ''}\n`);
  }
}

/** This repository's TypeScript sources (packages/*\/src), as files relative to the packages directory. */
function repositorySources(): CaseFile[] {
  const packagesDir = join(REPO_ROOT, 'packages');
  const out: CaseFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist') walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        out.push({ file: relative(packagesDir, path).split(sep).join('/'), text: readFileSync(path, 'utf8') });
      }
    }
  };
  for (const pkg of readdirSync(packagesDir, { withFileTypes: true })) {
    if (pkg.isDirectory()) {
      try {
        walk(join(packagesDir, pkg.name, 'src'));
      } catch {
        // A package without src/ has nothing to contribute.
      }
    }
  }
  return out;
}

const lineCount = (text: string): number => text.split('\n').length;

/** Copies the repository's sources under copy-1/, copy-2/, … of a temp dir until they hold at least SPEED_LINES lines. */
function buildSpeedTree(root: string): { files: CaseFile[]; lines: number } {
  const sources = repositorySources();
  const perCopy = sources.reduce((n, f) => n + lineCount(f.text), 0);
  if (perCopy === 0) throw new Error('no TypeScript sources found under packages/*/src');
  const copies = Math.ceil(SPEED_LINES / perCopy);
  const files: CaseFile[] = [];
  for (let i = 1; i <= copies; i++) {
    for (const f of sources) {
      const file = `copy-${i}/${f.file}`;
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), f.text);
      files.push({ file, text: f.text });
    }
  }
  return { files, lines: perCopy * copies };
}

async function speedRows(reviewCase: ReviewSources): Promise<BenchRow[]> {
  const root = mkdtempSync(join(tmpdir(), 'rampart-scan-speed-'));
  try {
    const { files, lines } = buildSpeedTree(root);
    let start = performance.now();
    await review({ root, paths: ['.'], cache: false }); // cold: nothing reused from an earlier run
    const rampartMs = performance.now() - start;
    const name = 'rampart review() (worker threads)';
    start = performance.now();
    reviewCase(files);
    const singleMs = performance.now() - start;
    const rampartLinesPerSecond = lines / (rampartMs / 1000);
    process.stdout.write(`\nreview speed: ${files.length} files, ${lines.toLocaleString('en-US')} lines\n`);
    process.stdout.write(`  ${name.padEnd(40)} ${rampartMs.toFixed(0).padStart(7)} ms  ${Math.round(rampartLinesPerSecond).toLocaleString('en-US').padStart(9)} lines/s\n`);
    process.stdout.write(`  ${'rampart reviewSources (1 thread)'.padEnd(40)} ${singleMs.toFixed(0).padStart(7)} ms  ${Math.round(lines / (singleMs / 1000)).toLocaleString('en-US').padStart(9)} lines/s\n`);
    if (!TIME_PEER_ON_SPEED_TREE) {
      return [{ suite: `review speed (${lines} lines)`, name: `${name}, lines`, ops: rampartLinesPerSecond, meanMs: rampartMs }];
    }
    const runner = createEslintSecurityRunner(root);
    start = performance.now();
    await runner.lintCase(root, files);
    const peerMs = performance.now() - start;
    const peerLinesPerSecond = lines / (peerMs / 1000);
    process.stdout.write(`  ${'eslint-plugin-security (1 thread)'.padEnd(40)} ${peerMs.toFixed(0).padStart(7)} ms  ${Math.round(peerLinesPerSecond).toLocaleString('en-US').padStart(9)} lines/s\n`);
    return [
      {
        suite: `review speed, lines/s (${Math.round(lines / 1000)}k lines)`,
        rampart: name,
        rampartOps: rampartLinesPerSecond,
        peer: 'eslint-plugin-security',
        peerOps: peerLinesPerSecond,
        ratio: rampartLinesPerSecond / peerLinesPerSecond,
      },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Runs both tools over the corpus, prints the accuracy table, and returns the corpus-speed and review-speed rows. */
export async function run(): Promise<BenchRow[]> {
  const cases = loadCorpus(CORPUS_DIR);
  const reviewCase = loadReviewSources();
  const rampart = await timeCases(cases, (c) => {
    const result = reviewCase(c.files);
    return Promise.resolve({ findings: result.findings, errors: result.errors.length });
  });
  const eslint = createEslintSecurityRunner(CORPUS_DIR);
  let unmappedReports = 0;
  const peer = await timeCases(cases, async (c) => {
    const result = await eslint.lintCase(c.dir, c.files);
    unmappedReports += result.unmapped.length;
    return { findings: result.findings, errors: result.errors.length };
  });
  // The untimed warm-up case was linted twice; count its unmapped reports once.
  const warmUp = cases[0];
  if (warmUp !== undefined) unmappedReports -= (await eslint.lintCase(warmUp.dir, warmUp.files)).unmapped.length;
  printAccuracy(cases, rampart, peer, unmappedReports);
  if (SHOW_DETAILS) printDetails(rampart);

  const corpusRow: BenchRow = {
    suite: `review corpus, cases/s (${cases.length} cases)`,
    rampart: 'rampart reviewSources',
    rampartOps: cases.length / (rampart.ms / 1000),
    peer: 'eslint-plugin-security',
    peerOps: cases.length / (peer.ms / 1000),
    ratio: peer.ms / rampart.ms,
  };
  return [corpusRow, ...(await speedRows(reviewCase))];
}
