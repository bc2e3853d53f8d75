import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { runBounded } from './process.js';

/** The Observatory's verdict on one page. */
export interface PageGrade {
  readonly path: string;
  readonly grade: string;
  readonly score: number;
  /** Tests that took points off (`scoreModifier` < 0), with the Observatory's result code. */
  readonly penalties: readonly string[];
  readonly error?: string;
}

interface ObservatoryOutput {
  readonly error?: string;
  readonly scan?: { readonly grade?: string; readonly score?: number };
  readonly tests?: Record<string, { readonly result?: string; readonly scoreModifier?: number; readonly pass?: boolean }>;
}

/**
 * The Observatory's command-line scanner (`src/scan.js` of `@mdn/mdn-http-observatory`), ready to run, or undefined
 * when the package is not installed.
 *
 * The package's install script downloads Chromium's HSTS preload list into `conf/hsts-preload.json`; the repository
 * installs it without install scripts (they reach the internet). The analyzer only looks a host up in that list, and
 * `localhost` is in no preload list, so an empty list gives the verdict the full one would. The package is copied —
 * `src`, `conf`, `package.json`, resolving its dependencies from the repository's `node_modules` as before — to
 * `node_modules/.cache/rampart-scan-observatory` with that empty list, and the installed package is left as it is.
 */
export function observatoryCli(root: string): string | undefined {
  let packageDir: string;
  try {
    packageDir = dirname(dirname(createRequire(join(root, 'package.json')).resolve('@mdn/mdn-http-observatory')));
  } catch {
    return undefined;
  }
  const preload = join(packageDir, 'conf', 'hsts-preload.json');
  if (existsSync(preload)) return join(packageDir, 'src', 'scan.js');
  const copy = join(root, 'node_modules', '.cache', 'rampart-scan-observatory');
  rmSync(copy, { recursive: true, force: true });
  for (const part of ['src', 'conf', 'package.json']) cpSync(join(packageDir, part), join(copy, part), { recursive: true });
  writeFileSync(join(copy, 'conf', 'hsts-preload.json'), '{}\n');
  return join(copy, 'src', 'scan.js');
}

/**
 * Scores one page with the MDN HTTP Observatory's own scanner and grader. The CLI takes a host name and builds
 * `http(s)://<host>` from it, so `localhost:<port>/login` reaches that port and page. The CLI is run directly with
 * `node` (its `bin` wrapper overwrites `NODE_EXTRA_CA_CERTS` with Mozilla's bundle) and trusts the scan's CA only.
 * Protects against a page that loses a response header (CSP, HSTS, framing, referrer, MIME sniffing, cookies' flags).
 */
export async function gradePage(options: { readonly cli: string; readonly port: number; readonly path: string; readonly caFile: string; readonly workDir: string; readonly index: number }): Promise<PageGrade> {
  const logFile = join(options.workDir, `observatory-${options.index}.json`);
  const finished = await runBounded({
    command: process.execPath,
    args: [options.cli, `localhost:${options.port}${options.path}`],
    env: { ...process.env, NODE_EXTRA_CA_CERTS: options.caFile },
    timeoutMs: 30_000,
    logFile,
  });
  const text = readFileSync(logFile, 'utf8');
  let output: ObservatoryOutput;
  try {
    output = JSON.parse(text.slice(text.indexOf('{'))) as ObservatoryOutput;
  } catch {
    return { path: options.path, grade: '-', score: 0, penalties: [], error: `no JSON from the Observatory (exit ${finished.code}): ${text.slice(0, 300)}` };
  }
  if (output.error !== undefined || output.scan === undefined) return { path: options.path, grade: '-', score: 0, penalties: [], error: output.error ?? 'no scan' };
  const penalties = Object.entries(output.tests ?? {})
    .filter(([, test]) => (test.scoreModifier ?? 0) < 0)
    .map(([name, test]) => `${name}: ${test.result ?? '?'} (${test.scoreModifier ?? 0})`);
  return { path: options.path, grade: output.scan.grade ?? '-', score: output.scan.score ?? 0, penalties };
}
