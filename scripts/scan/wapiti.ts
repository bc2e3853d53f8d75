import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBounded, type Finished } from './process.js';

/** One entry of wapiti's JSON report (vulnerabilities and anomalies share the shape). */
export interface WapitiFinding {
  readonly section: 'vulnerabilities' | 'anomalies';
  readonly category: string;
  readonly level: number;
  readonly method: string;
  readonly path: string;
  readonly parameter: string;
  readonly info: string;
}

/**
 * A finding that is not a vulnerability of this server, with the reason (docs/scanning.md explains each). Matched on
 * the category and a pattern of wapiti's own description, never on the path alone, so a new kind of finding on the
 * same page still fails the scan.
 */
export interface AllowedFinding {
  readonly category: string;
  readonly info: RegExp;
  readonly reason: string;
}

/** The allowlist (kept empty unless a finding is shown, in docs/scanning.md, not to be a vulnerability). */
export const WAPITI_ALLOWLIST: readonly AllowedFinding[] = [];

/** Findings of level ≥ 2 that the allowlist does not explain: each fails the scan. */
export function unexplained(findings: readonly WapitiFinding[], allowlist: readonly AllowedFinding[] = WAPITI_ALLOWLIST): WapitiFinding[] {
  return findings.filter((f) => f.level >= 2 && !allowlist.some((a) => a.category === f.category && a.info.test(f.info)));
}

interface ReportEntry {
  readonly level?: number;
  readonly method?: string;
  readonly path?: string;
  readonly parameter?: string;
  readonly info?: string;
}

/** Reads wapiti's JSON report (`-f json`): every vulnerability and anomaly with its level. */
export function readReport(file: string): WapitiFinding[] {
  const report = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<'vulnerabilities' | 'anomalies', Record<string, ReportEntry[]>>>;
  const findings: WapitiFinding[] = [];
  for (const section of ['vulnerabilities', 'anomalies'] as const) {
    for (const [category, entries] of Object.entries(report[section] ?? {})) {
      for (const entry of entries) {
        findings.push({
          section,
          category,
          level: entry.level ?? 0,
          method: entry.method ?? '',
          path: entry.path ?? '',
          parameter: entry.parameter ?? '',
          info: entry.info ?? '',
        });
      }
    }
  }
  return findings;
}

/**
 * The modules that apply to server-rendered HTML forms and a JSON API: injection (SQL error-based and blind, command,
 * file/path traversal, CRLF), XSS (reflected and stored), open redirects, and the response hygiene checks (security
 * headers, CSP, cookie flags, CSRF tokens on forms, HTTP methods). Not run: `ssrf` and `xxe` (they ask wapiti's
 * endpoint on the internet for out-of-band results, and the scan reaches 127.0.0.1 only; the server parses no XML),
 * `nikto`/`buster`/`backup`/`brute_login_form` (guessing files and passwords, not testing code), `shellshock`/`htaccess`
 * (CGI and Apache), `wapp` (fingerprinting only).
 */
export const WAPITI_MODULES = ['sql', 'blindsql', 'exec', 'file', 'crlf', 'xss', 'permanentxss', 'redirect', 'http_headers', 'csp', 'cookieflags', 'csrf', 'methods'];

/**
 * Crawls and attacks the server through its TLS front (`--scope folder` from `/`), signed in or not, bounded by `--max-scan-time`/`--max-attack-time` and a hard timeout, and reads the JSON report.
 */
export async function runWapiti(options: {
  readonly workDir: string;
  /** Names the run's files (`wapiti-<name>.json`, `.log`, session directories). */
  readonly name: string;
  readonly base: string;
  /** A session cookie to crawl signed in with; none crawls as a stranger. */
  readonly cookie?: string;
  readonly scanSeconds: number;
}): Promise<{ readonly finished: Finished; readonly findings: readonly WapitiFinding[]; readonly report: string }> {
  const report = join(options.workDir, `wapiti-${options.name}.json`);
  const logFile = join(options.workDir, `wapiti-${options.name}.log`);
  const base = options.base.replace(/\/?$/, '/');
  const finished = await runBounded({
    command: 'wapiti',
    args: [
      '-u', base,
      '--scope', 'folder',
      // The API is not linked from the pages: start from its reference and its readable routes as well.
      '-s', `${base}docs`, '-s', `${base}openapi.json`, '-s', `${base}v1/identity`, '-s', `${base}v1/account`, '-s', `${base}v1/sessions`,
      '-m', WAPITI_MODULES.join(','),
      ...(options.cookie === undefined ? [] : ['-H', `Cookie: ${options.cookie}`]),
      '-d', '5',
      '--max-scan-time', String(options.scanSeconds),
      '--max-attack-time', String(Math.max(10, Math.floor(options.scanSeconds / 6))),
      '-t', '10',
      '--flush-session',
      '--store-session', join(options.workDir, `wapiti-${options.name}-session`),
      '--store-config', join(options.workDir, `wapiti-${options.name}-config`),
      '--no-bugreport',
      '-v', '1',
      '-f', 'json',
      '-o', report,
    ],
    timeoutMs: (options.scanSeconds + 45) * 1000,
    logFile,
  });
  if (!existsSync(report)) throw new Error(`wapiti wrote no report (exit ${finished.code}${finished.timedOut ? ', timed out' : ''}); see ${logFile}`);
  return { finished, findings: readReport(report), report };
}
