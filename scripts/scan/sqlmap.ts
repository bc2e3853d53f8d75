import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScanIdentity } from './identity.js';
import { runBounded, type Finished } from './process.js';

/** One request sqlmap replays with payloads: `*` in the path marks a path parameter; bodies are tested member by member. */
export interface SqlmapTarget {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly auth: 'none' | 'session' | 'bearer' | 'api-key';
  readonly body?: { readonly type: 'json'; readonly value: Record<string, unknown> } | { readonly type: 'form'; readonly value: Record<string, string> };
  /**
   * Mark every string member of the body as an injection point (`*`). Needed where a member's name contains `token`:
   * below `--level 4` sqlmap skips such parameters as anti-CSRF tokens, and here they are the login token, the
   * verification and reset tokens and the refresh token — exactly what must be tested.
   */
  readonly markBody?: boolean;
}

/** A row of sqlmap's results CSV: an injection point it believes it found. */
export interface SqlmapFinding {
  readonly url: string;
  readonly place: string;
  readonly parameter: string;
  readonly techniques: string;
  readonly notes: string;
}

/** What a sqlmap run established. */
export interface SqlmapResult {
  readonly finished: Finished;
  readonly findings: readonly SqlmapFinding[];
  /** Targets sqlmap reported as tested (its "testing URL" lines), to show none was skipped. */
  readonly testedTargets: number;
  /** HTTP status codes sqlmap saw as errors, with counts (429s would mean the counter reset fell behind). */
  readonly httpErrors: string | undefined;
  readonly resultsFile: string;
}

// Well-formed values that name nothing: the server reaches its lookup with them, and answers the same every time
// (sqlmap compares every answer with the first; a request that changes state on its first replay is not comparable).
const FAKE_TOKEN = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const FAKE_HANDLE = 'AAAAAAAAAAAAAAAAAAAAAA';

/**
 * The routes sqlmap attacks: login and every route taking a parameter from the caller — bodies of the public routes,
 * every path parameter, the token endpoint's form — each with the credentials it requires, so payloads reach the code
 * behind authentication. The OpenAPI document (`GET /openapi.json`) is the list these were taken from; the server has
 * no route with a query parameter.
 */
export function sqlmapTargets(id: ScanIdentity): SqlmapTarget[] {
  const json = (value: Record<string, unknown>) => ({ type: 'json', value }) as const;
  return [
    { method: 'POST', path: '/v1/login', auth: 'none', body: json({ email: id.email, password: 'not the password at all' }) },
    { method: 'POST', path: '/v1/login/second-factor', auth: 'none', body: json({ loginToken: FAKE_TOKEN, method: 'totp', code: '123456' }), markBody: true },
    { method: 'POST', path: '/v1/accounts', auth: 'none', body: json({ email: 'someone@example.com', password: 'violet kettle marching under amber rain' }) },
    { method: 'POST', path: '/v1/accounts/verify-email', auth: 'none', body: json({ token: FAKE_TOKEN }), markBody: true },
    { method: 'POST', path: '/v1/password/reset', auth: 'none', body: json({ email: id.email }) },
    { method: 'POST', path: '/v1/password/reset/confirm', auth: 'none', body: json({ token: FAKE_TOKEN, password: 'violet kettle marching under amber rain' }), markBody: true },
    { method: 'POST', path: '/v1/token', auth: 'none', body: { type: 'form', value: { grant_type: 'refresh_token', refresh_token: FAKE_TOKEN, client_id: 'rampart' } }, markBody: true },
    { method: 'POST', path: '/v1/token/revoke', auth: 'none', body: { type: 'form', value: { token: FAKE_TOKEN, token_type_hint: 'refresh_token' } }, markBody: true },
    { method: 'DELETE', path: `/v1/sessions/${FAKE_HANDLE}*`, auth: 'session' },
    { method: 'DELETE', path: `/v1/api-keys/${id.revocableApiKeyId}*`, auth: 'bearer' },
    { method: 'DELETE', path: `/v1/mfa/passkeys/${FAKE_TOKEN}*`, auth: 'bearer' },
    { method: 'PATCH', path: '/v1/account', auth: 'bearer', body: json({ displayName: 'Scanner' }) },
    { method: 'POST', path: '/v1/authz/check', auth: 'api-key', body: json({ principal: { id: 'u1', tenant: 'acme', roles: ['editor'] }, resource: { kind: 'document', id: 'd1', tenant: 'acme' }, action: 'read' }) },
    { method: 'GET', path: `/v1/admin/role-bindings/${id.userId}*`, auth: 'bearer' },
    { method: 'PUT', path: `/v1/admin/role-bindings/${id.userId}*/tenants/acme*/editor*`, auth: 'bearer' },
    { method: 'DELETE', path: `/v1/admin/role-bindings/${id.userId}*/global/viewer*`, auth: 'bearer' },
    { method: 'GET', path: '/v1/admin/policies/1*', auth: 'bearer' },
    { method: 'POST', path: '/v1/admin/policies/1*/activate', auth: 'bearer' },
  ];
}

function authHeaders(target: SqlmapTarget, id: ScanIdentity, origin: string): string[] {
  switch (target.auth) {
    case 'none':
      return [];
    case 'session':
      // A browser's unsafe request: its cookies, the server's own Origin and the CSRF token bound to the session.
      return [`Cookie: ${id.cookie}`, `Origin: ${origin}`, `X-CSRF-Token: ${id.csrfToken}`];
    case 'bearer':
      return [`Authorization: Bearer ${id.accessToken}`];
    case 'api-key':
      return [`Authorization: Bearer ${id.apiKey}`];
  }
}

/**
 * The targets as a Burp proxy log, sqlmap's `-l` input: multiple-targets mode is the mode in which sqlmap writes its
 * results CSV (`--results-file`), and each logged request carries its own method, headers and body.
 */
export function burpLog(targets: readonly SqlmapTarget[], id: ScanIdentity, server: URL, browserOrigin: string): string {
  const rule = '='.repeat(54);
  return targets
    .map((target) => {
      const mark = (value: string): string => (target.markBody === true ? `${value}*` : value);
      const body =
        target.body === undefined
          ? ''
          : target.body.type === 'json'
            ? JSON.stringify(Object.fromEntries(Object.entries(target.body.value).map(([k, v]) => [k, typeof v === 'string' ? mark(v) : v])))
            : Object.entries(target.body.value).map(([k, v]) => `${encodeURIComponent(k)}=${mark(encodeURIComponent(v))}`).join('&');
      const headers = [
        `Host: ${server.host}`,
        'Accept: application/json',
        ...authHeaders(target, id, browserOrigin),
        ...(target.body === undefined ? [] : [`Content-Type: ${target.body.type === 'json' ? 'application/json' : 'application/x-www-form-urlencoded'}`]),
      ];
      return `${rule}\n${target.method} ${target.path} HTTP/1.1\n${headers.join('\n')}\n\n${body}\n${rule}\n\n`;
    })
    .join('');
}

/** Reads sqlmap's results CSV: the header line, then one row per injection point (none is the pass). */
export function readResults(file: string): SqlmapFinding[] {
  if (!existsSync(file)) throw new Error(`sqlmap wrote no results file (${file}): it did not reach multiple-targets mode`);
  const rows = readFileSync(file, 'utf8').split(/\r?\n/).filter((line) => line.trim() !== '');
  const [header, ...data] = rows;
  if (header === undefined || !header.startsWith('Target URL,')) throw new Error(`unexpected sqlmap results header: ${header ?? '(empty)'}`);
  return data.map((line) => {
    const [url = '', place = '', parameter = '', techniques = '', ...notes] = line.split(',');
    return { url, place, parameter, techniques, notes: notes.join(',') };
  });
}

/** Injection points sqlmap logged in its output directory (`<host>/log`), a second source next to the CSV. */
function loggedInjections(outputDir: string): string[] {
  if (!existsSync(outputDir)) return [];
  const found: string[] = [];
  for (const host of readdirSync(outputDir)) {
    const log = join(outputDir, host, 'log');
    if (existsSync(log) && readFileSync(log, 'utf8').trim() !== '') found.push(log);
  }
  return found;
}

/**
 * Runs sqlmap over every target in one bounded run (`--batch --level 2 --risk 1`, short time-based delay) and reads
 * its verdict from the results CSV, because sqlmap exits 0 whatever it finds. Protects against SQL injection reaching
 * the server's storage through any parameter a caller controls.
 */
export async function runSqlmap(options: {
  readonly workDir: string;
  readonly targets: readonly SqlmapTarget[];
  readonly identity: ScanIdentity;
  readonly server: URL;
  readonly browserOrigin: string;
  readonly timeoutMs: number;
}): Promise<SqlmapResult> {
  const logFile = join(options.workDir, 'sqlmap-requests.log');
  const resultsFile = join(options.workDir, 'sqlmap-results.csv');
  const outputDir = join(options.workDir, 'sqlmap-output');
  const consoleLog = join(options.workDir, 'sqlmap.log');
  writeFileSync(logFile, burpLog(options.targets, options.identity, options.server, options.browserOrigin));
  const finished = await runBounded({
    command: 'sqlmap',
    args: [
      '-l', logFile,
      '--batch',
      // stdin is not a terminal here, and sqlmap would read its targets from it instead of the log.
      '--ignore-stdin',
      '--level', '2',
      '--risk', '1',
      // The scan server runs on SQLite: payloads for other engines could not fire, and would triple the run.
      '--dbms', 'SQLite',
      '--threads', '4',
      '--time-sec', '1',
      '--timeout', '15',
      '--retries', '1',
      '--flush-session',
      // Refusals are the pages these routes answer with (wrong password, unknown id): compare them, do not give up.
      '--ignore-code', '401,403,404,409',
      '--disable-coloring',
      '--results-file', resultsFile,
      '--output-dir', outputDir,
      // Without a DBMS error or a boolean difference, sqlmap asks before the slow UNION column search: skip it.
      '--answers', 'skip=N,other=N,extending=N',
    ],
    timeoutMs: options.timeoutMs,
    logFile: consoleLog,
  });
  const findings = finished.timedOut && !existsSync(resultsFile) ? [] : readResults(resultsFile);
  const output = readFileSync(consoleLog, 'utf8');
  const testedTargets = (output.match(/\[INFO\] testing URL/g) ?? []).length;
  const httpErrors = /HTTP error codes detected during run:\s*\n?(.*)/.exec(output)?.[1]?.trim();
  const logged = loggedInjections(outputDir);
  const extra: SqlmapFinding[] = logged.map((file) => ({ url: file, place: 'log', parameter: '-', techniques: '-', notes: 'sqlmap logged an injection point' }));
  return { finished, findings: [...findings, ...extra], testedTargets, httpErrors, resultsFile };
}
