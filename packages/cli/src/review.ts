import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  applyBaseline,
  createProgressBar,
  formatFixes,
  formatJson,
  formatSarif,
  formatText,
  isSourceFileName,
  readBaseline,
  relativeToRoot,
  review,
  SEVERITIES,
  severityAtLeast,
  summaryLine,
  wantsColor,
  writeBaseline,
  type ProgressBar,
  type ProgressStream,
  type ReviewReport,
  type Severity,
} from '@rampart/scan';

/** Where `review` writes; the CLI's io plus what it knows about the terminal. */
export interface ReviewIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** True when stdout is a terminal: the text report is coloured then (unless `NO_COLOR`). */
  readonly stdoutIsTTY?: boolean;
  /** Where the progress bar draws (stderr); it draws only when this is a TTY. */
  readonly progress?: ProgressStream;
}

export const REVIEW_USAGE = `usage: rampart review [paths…] [options]

Finds injection and other vulnerabilities in TypeScript/JavaScript backend code by following untrusted input across
functions and files. Paths are files or directories (default: the root); .gitignore'd files, node_modules and build
output are skipped.

options:
  --format text|json|sarif   report format (default text; sarif for GitHub code scanning)
  --output <file>            write the report to a file instead of stdout
  --severity <level>         report and fail on findings at or above note|low|medium|high|critical (default low)
  --baseline <file>          hide findings recorded in this baseline; report how many were hidden and fixed
  --write-baseline <file>    record the current findings' fingerprints as a baseline
  --rules <pack.yaml>        an extra rule pack file or directory (repeat)
  --threads <n>              worker threads (default: min(CPUs, 4); 0 analyses in the main thread)
  --no-cache                 analyse every file (default: reuse <root>/.rampart/review-cache)
  --root <dir>               the directory findings' paths are relative to (default: the current directory)
  --fix                      rewrite what can be fixed mechanically (string-built SQL → parameters, exec → execFile,
                             jwt.verify algorithms, cookie flags), then review again and report what remains
  --dry-run                  with --fix: print the fixes as a unified diff, write nothing

suppress one finding with a reason:  // rampart-ignore-next-line <rule-id|class>: <why this is safe>
leave files out with a reason:       .rampart-review-ignore lines like  corpus/**  # deliberately vulnerable samples
Exit codes: 0 nothing at or above --severity, 1 findings (after --fix: the ones that remain), 2 a usage error, a path
that cannot be reviewed, a bad rule pack, or an ignore pattern without a reason.`;

const FORMATS = ['text', 'json', 'sarif'] as const;
type Format = (typeof FORMATS)[number];

/** Whether `argv` is a `rampart review …` invocation (it has its own options, parsed here). */
export function isReviewCommand(argv: readonly string[]): boolean {
  const lenient = parseArgs({ args: [...argv], strict: false, allowPositionals: true, options: {} });
  return lenient.positionals[0] === 'review';
}

class UsageError extends Error {}

interface ReviewArguments {
  readonly paths: string[];
  readonly format: Format;
  readonly output?: string;
  readonly severity: Severity;
  readonly baseline?: string;
  readonly writeBaseline?: string;
  readonly rules: string[];
  readonly threads?: number;
  readonly cache: boolean;
  readonly root: string;
  readonly fix: boolean;
  readonly dryRun: boolean;
  readonly help: boolean;
}

function parseReviewArguments(argv: readonly string[], cwd: string): ReviewArguments {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        format: { type: 'string' },
        output: { type: 'string', short: 'o' },
        severity: { type: 'string' },
        baseline: { type: 'string' },
        'write-baseline': { type: 'string' },
        rules: { type: 'string', multiple: true },
        threads: { type: 'string' },
        'no-cache': { type: 'boolean' },
        root: { type: 'string' },
        fix: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  const format = values.format ?? 'text';
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
  const severity = values.severity ?? 'low';
  if (!(SEVERITIES as readonly string[]).includes(severity)) throw new UsageError(`--severity must be one of ${SEVERITIES.join(', ')}`);
  if (values['dry-run'] === true && values.fix !== true) throw new UsageError('--dry-run goes with --fix');
  let threads: number | undefined;
  if (values.threads !== undefined) {
    threads = /^\d{1,3}$/.test(values.threads) ? Number(values.threads) : Number.NaN;
    if (!Number.isInteger(threads) || threads > 64) throw new UsageError('--threads must be an integer from 0 to 64');
  }
  return {
    paths: parsed.positionals.slice(1),
    format: format as Format,
    ...(values.output === undefined ? {} : { output: resolve(cwd, values.output) }),
    severity: severity as Severity,
    ...(values.baseline === undefined ? {} : { baseline: resolve(cwd, values.baseline) }),
    ...(values['write-baseline'] === undefined ? {} : { writeBaseline: resolve(cwd, values['write-baseline']) }),
    rules: (values.rules ?? []).map((pack) => resolve(cwd, pack)),
    ...(threads === undefined ? {} : { threads }),
    cache: values['no-cache'] !== true,
    root: resolve(cwd, values.root ?? '.'),
    fix: values.fix === true,
    dryRun: values['dry-run'] === true,
    help: values.help === true,
  };
}

/** Reads reviewed files back for code frames — only files inside the root with a source extension. */
function sourceReader(root: string): (file: string) => string | undefined {
  const texts = new Map<string, string | undefined>();
  return (file) => {
    if (!texts.has(file)) {
      const path = resolve(root, file);
      // A finding's path is trusted only as far as it stays inside the root: a report must never print another file.
      const inside = relativeToRoot(root, path) === file && isSourceFileName(file);
      let text: string | undefined;
      try {
        text = inside ? readFileSync(path, 'utf8') : undefined;
      } catch {
        text = undefined;
      }
      texts.set(file, text);
    }
    return texts.get(file);
  };
}

/**
 * `rampart review [paths…]`: reviews code, prints or writes the report, and exits 0 when nothing is at or above
 * `--severity`, 1 when something is, 2 on a usage error, a path that cannot be reviewed, a bad rule pack or an ignore
 * pattern without a reason (those throw from the review and are reported by the caller's `failed()`). With `--fix`,
 * the findings that would be reported are fixed where a mechanical fix is certain, and the exit code is from what
 * remains; `--dry-run` prints the diff instead of writing.
 */
export async function reviewCommand(argv: readonly string[], io: ReviewIo): Promise<number> {
  let args: ReviewArguments;
  try {
    args = parseReviewArguments(argv, io.cwd);
  } catch (error) {
    io.err(`rampart review: ${error instanceof Error ? error.message : String(error)}`);
    io.err(REVIEW_USAGE);
    return 2;
  }
  if (args.help) {
    io.out(REVIEW_USAGE);
    return 0;
  }
  let rootIsDirectory = false;
  try {
    rootIsDirectory = statSync(args.root).isDirectory();
  } catch {
    rootIsDirectory = false;
  }
  if (!rootIsDirectory) {
    io.err(`rampart review: --root ${args.root} is not a directory`);
    return 2;
  }
  // Read before reviewing: a baseline that cannot be read is a usage error, not a reason to report everything.
  const baseline = args.baseline === undefined ? undefined : readBaseline(args.baseline);

  let bar: ProgressBar | undefined;
  let barDecided = false;
  const progress = io.progress;
  // --fix touches what the report would show: findings at or above --severity that no baseline hides.
  const baselined = new Set(baseline?.entries.map((entry) => entry.fingerprint) ?? []);
  const result = await review({
    ...(args.fix ? { fix: { dryRun: args.dryRun, select: (finding) => severityAtLeast(finding.severity, args.severity) && !baselined.has(finding.fingerprint) } } : {}),
    root: args.root,
    paths: args.paths,
    cwd: io.cwd,
    ...(args.threads === undefined ? {} : { threads: args.threads }),
    cache: args.cache ? join(args.root, '.rampart', 'review-cache') : false,
    extraPacks: args.rules,
    onProgress: (done, total) => {
      if (!barDecided && progress !== undefined) bar = createProgressBar(progress, total);
      barDecided = true;
      bar?.update(done, total);
    },
  });
  bar?.finish();

  if (args.writeBaseline !== undefined) {
    const written = writeBaseline(args.writeBaseline, result.findings);
    io.err(`rampart review: wrote a baseline of ${written.entries.length} finding${written.entries.length === 1 ? '' : 's'} to ${args.writeBaseline}`);
  }
  const afterBaseline = baseline === undefined ? undefined : applyBaseline(result.findings, baseline);
  const candidates = afterBaseline?.findings ?? result.findings;
  const shown = candidates.filter((finding) => severityAtLeast(finding.severity, args.severity));
  const report: ReviewReport = {
    result: { findings: shown, suppressed: result.suppressed, errors: result.errors, filesReviewed: result.filesReviewed, linesReviewed: result.linesReviewed },
    ...(afterBaseline === undefined ? {} : { baseline: { baselined: afterBaseline.baselined, fixed: afterBaseline.fixed } }),
    belowThreshold: candidates.length - shown.length,
    ...(result.ignored.length === 0 ? {} : { ignored: result.ignored }),
    ...(result.fixes === undefined ? {} : { fixes: result.fixes }),
  };

  const toFile = args.output !== undefined;
  if (result.fixes !== undefined) {
    // Beside a JSON or SARIF report on stdout, what --fix did goes to stderr so stdout stays one document.
    const fixOut = args.format === 'text' && !toFile ? io.out : io.err;
    if (result.fixes.dryRun && result.fixes.diff !== '') fixOut(result.fixes.diff.replace(/\n$/, ''));
    fixOut(formatFixes(result.fixes).replace(/\n$/, ''));
  }
  const rendered = args.format === 'json'
    ? formatJson(report)
    : args.format === 'sarif'
      ? formatSarif(report)
      : formatText(report, { color: !toFile && wantsColor(io.stdoutIsTTY, io.env), readSource: sourceReader(args.root) });
  if (args.output === undefined) {
    io.out(rendered.replace(/\n$/, ''));
  } else {
    writeFileSync(args.output, rendered);
    io.err(summaryLine(report));
  }
  return shown.length > 0 ? 1 : 0;
}
