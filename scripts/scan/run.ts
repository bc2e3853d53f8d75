/**
 * `npx tsx scripts/scan/run.ts [sqlmap] [wapiti] [observatory]` (default: all three): scanners nobody here wrote,
 * against a real `rampart serve` on 127.0.0.1. Exits 1 when sqlmap finds an injection point, wapiti reports a finding
 * of level ≥ 2 that the allowlist does not explain, a page scores below A+ on the MDN HTTP Observatory, or a scanner
 * could not finish. See README.md in this directory and docs/scanning.md.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScanIdentity } from './identity.js';
import { resetCountersContinuously } from './limits.js';
import { gradePage, observatoryCli } from './observatory.js';
import { runSqlmap, sqlmapTargets } from './sqlmap.js';
import { freePort, startTarget } from './target.js';
import { makeCertificates, startTlsFront } from './tls.js';
import { runWapiti, unexplained, WAPITI_ALLOWLIST } from './wapiti.js';

const SCANNERS = ['sqlmap', 'wapiti', 'observatory'] as const;
type Scanner = (typeof SCANNERS)[number];
/** The pages the Observatory grades, when the server has them (a 404 is reported and skipped; `/` must exist). */
const PAGES = ['/', '/login', '/register', '/account', '/docs'];

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const failures: string[] = [];
const say = (line: string) => { process.stdout.write(`${line}\n`); };

function requireTool(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
  } catch {
    throw new Error(`${command} is not installed (Debian: apt-get install ${command}; .ci/run installs it)`);
  }
}

const wanted = process.argv.slice(2);
for (const name of wanted) if (!(SCANNERS as readonly string[]).includes(name)) throw new Error(`unknown scanner "${name}"; known: ${SCANNERS.join(', ')}`);
const run = (scanner: Scanner) => wanted.length === 0 || wanted.includes(scanner);

if (!existsSync(join(root, 'packages/cli/dist/bin.js'))) throw new Error('build first: npm run build');
if (run('sqlmap')) requireTool('sqlmap', ['--version']);
if (run('wapiti')) requireTool('wapiti', ['--version']);
requireTool('openssl', ['version']);
const cli = run('observatory') ? observatoryCli(root) : undefined;
if (run('observatory') && cli === undefined) throw new Error('@mdn/mdn-http-observatory is not installed (a devDependency of the repository)');

const workDir = mkdtempSync(join(tmpdir(), 'rampart-scan-'));
const redisUrl = process.env.RAMPART_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisKeyPrefix = `rampart_scan_${randomBytes(6).toString('hex')}`;
const started = Date.now();
const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
say(`== scan: work directory ${workDir} (reports, logs, the server's data)`);

const certificates = makeCertificates(workDir);
const frontPort = await freePort();
const browserOrigin = `https://localhost:${frontPort}`;
const target = await startTarget({ root, workDir, publicUrl: browserOrigin, redisUrl, redisKeyPrefix });
// wapiti submits every form it crawls; the sign-out form would end the session the rest of the signed-in crawl uses,
// and wapiti's own exclusion option (`-x`) crashes in Debian's wapiti 3.0.4 on Python 3.11 (re.error: global flags
// not at the start). So the front withholds POST /logout from the signed-in crawl only (requests that carry its
// session cookie); the signed-out crawl reaches the real /logout.
let signedInCrawlCookie: string | undefined;
const WITHHELD_PATH = '/logout';
const front = await startTlsFront(frontPort, new URL(target.origin), certificates, (request) => {
  const path = new URL(request.url ?? '/', 'https://localhost').pathname;
  return path === WITHHELD_PATH && signedInCrawlCookie !== undefined && (request.headers.cookie ?? '').includes(signedInCrawlCookie);
});
const counters = await resetCountersContinuously(redisUrl, redisKeyPrefix);
say(`== server ${target.origin} (SQLite), TLS front ${browserOrigin}, rate-limit counters in Redis under ${redisKeyPrefix}:rl, reset every 50 ms`);

try {
  const identity = await createScanIdentity(target.origin, target.dataDir);
  say(`== signed in as ${identity.email} (admin, session + CSRF token, access token, API key) [${elapsed()}]`);

  if (run('sqlmap')) {
    const targets = sqlmapTargets(identity);
    const result = await runSqlmap({ workDir, targets, identity, server: new URL(target.origin), browserOrigin, timeoutMs: 240_000 });
    say(`== sqlmap: ${result.testedTargets}/${targets.length} requests tested, ${result.findings.length} injection points; HTTP errors: ${result.httpErrors ?? 'none'}; CSV ${result.resultsFile} [${elapsed()}]`);
    for (const finding of result.findings) failures.push(`sqlmap: ${finding.place} parameter ${finding.parameter} of ${finding.url} (${finding.techniques}) ${finding.notes}`);
    if (result.finished.timedOut) failures.push('sqlmap: stopped by its timeout before testing every request');
    else if (result.testedTargets < targets.length) failures.push(`sqlmap: tested ${result.testedTargets} of ${targets.length} requests (see ${join(workDir, 'sqlmap.log')})`);
  }

  if (run('wapiti')) {
    const login = await fetch(`${target.origin}/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: identity.email, password: identity.password }),
    });
    const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0] ?? '').join('; ');
    signedInCrawlCookie = cookie.split('; ')[0];
    const signedIn = await runWapiti({ workDir, name: 'signed-in', base: `${browserOrigin}/`, cookie, scanSeconds: 90 });
    const signedOut = await runWapiti({ workDir, name: 'signed-out', base: `${browserOrigin}/`, scanSeconds: 45 });
    // What the signed-in crawl got at the withheld path was the front's 404, not the server's answer.
    const findings = [...signedIn.findings.filter((f) => f.path !== WITHHELD_PATH), ...signedOut.findings];
    const counted = unexplained(findings);
    say(`== wapiti: ${findings.length} findings, ${findings.filter((f) => f.level >= 2).length} of level ≥ 2, ${counted.length} not allowlisted (${WAPITI_ALLOWLIST.length} allowlist entries); reports ${signedIn.report}, ${signedOut.report} [${elapsed()}]`);
    for (const f of findings) say(`   level ${f.level} ${f.section}/${f.category}: ${f.method} ${f.path} ${f.parameter} — ${f.info}`);
    for (const f of counted) failures.push(`wapiti: level ${f.level} ${f.category} at ${f.method} ${f.path} (${f.parameter}): ${f.info}`);
    for (const r of [signedIn, signedOut]) if (r.finished.code !== 0 && !r.finished.timedOut) failures.push(`wapiti exited with ${r.finished.code} (${r.report})`);
  }

  if (run('observatory') && cli !== undefined) {
    let index = 0;
    for (const path of PAGES) {
      // A page that redirects (the account page, signed out) is graded where it lands, when that page exists.
      const status = (await fetch(`${target.origin}${path}`)).status;
      if (status === 404) {
        if (path === '/') failures.push('observatory: / answers 404');
        say(`   observatory ${path}: not served (404, or redirects to a page that is not), skipped`);
        continue;
      }
      const grade = await gradePage({ cli, port: front.port, path, caFile: certificates.caFile, workDir, index: index++ });
      say(`   observatory ${path}: ${grade.grade} (${grade.score})${grade.error === undefined ? '' : ` error: ${grade.error}`}${grade.penalties.length > 0 ? ` — ${grade.penalties.join('; ')}` : ''}`);
      if (grade.grade !== 'A+') failures.push(`observatory: ${path} scored ${grade.grade} (${grade.score})${grade.error === undefined ? '' : `: ${grade.error}`}`);
    }
    say(`== observatory done [${elapsed()}]`);
  }
} catch (error) {
  failures.push(`scan aborted: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  say(`== ${counters.deleted()} rate-limit counters reset during the scan`);
  await counters.stop();
  await front.close();
  await target.stop();
}

if (failures.length > 0) {
  say(`== scan FAILED (${elapsed()}):`);
  for (const failure of failures) say(`!! ${failure}`);
  process.exitCode = 1;
} else {
  say(`== scan passed: no injection, no unexplained finding, every page A+ (${elapsed()})`);
}
