/*
 * The `web` security-headers preset must earn an A+ (100 or more) from MDN HTTP Observatory, the grade most people
 * check a site with. The example app in examples/web-app is served over verified TLS (a CA made here, trusted by the
 * scanner's process through NODE_EXTRA_CA_CERTS) with plain HTTP on the same port redirecting to HTTPS, because the
 * Observatory fetches http:// and https:// on the host:port it is given and grades HSTS and that redirect: over
 * plain HTTP alone the ceiling is 60.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebApp, type WebApp } from '../../../../examples/web-app/app.js';
import { createTestCertificates, type TestCertificates } from '../../../../examples/web-app/tls.js';
import { RESULT_PREFIX, type ScanSummary } from './scan-summary.js';

const here = dirname(fileURLToPath(import.meta.url));
const repositoryRoot = join(here, '..', '..', '..', '..');

let certificates: TestCertificates;
let workDir: string;
let caFile: string;
let app: WebApp;
let port: number;

beforeAll(async () => {
  certificates = await createTestCertificates();
  workDir = mkdtempSync(join(tmpdir(), 'rampart-observatory-'));
  caFile = join(workDir, 'ca.pem');
  writeFileSync(caFile, certificates.caPem);
  app = createWebApp({ tls: { cert: certificates.certPem, key: certificates.keyPem } });
  ({ port } = await app.listen(0, '127.0.0.1'));
});

afterAll(async () => {
  await app.close();
  rmSync(workDir, { recursive: true, force: true });
});

interface Fetched {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

function get(path: string): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca: certificates.caPem, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function explain(summary: ScanSummary): string {
  const lines = summary.tests.map(
    (test) => `  ${test.pass ? 'pass' : 'FAIL'}  ${test.name}: ${test.result ?? 'no result'} (${test.scoreModifier >= 0 ? '+' : ''}${test.scoreModifier})`,
  );
  return `Observatory grade ${summary.grade ?? '?'}, score ${String(summary.score)}:\n${lines.join('\n')}`;
}

async function observatoryScan(hostname: string): Promise<ScanSummary> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(here, 'scan-runner.ts'), hostname], {
    cwd: repositoryRoot,
    // The Observatory gives each session 10 s in all (one abort signal for every request of it); a CI machine busy
    // with the suite's CPU-bound tests gets more, so a slow moment is not mistaken for a down site.
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, ABORT_TIMEOUT: '40000', CLIENT_TIMEOUT: '30000' },
    timeout: 50_000,
  });
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_PREFIX));
  if (line === undefined) throw new Error(`the scan printed no result:\n${stdout}`);
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as ScanSummary;
}

describe('MDN HTTP Observatory on the example web app', () => {
  it('grades the web preset A+ (100 or more), every test passing, none costing points', async () => {
    const summary = await observatoryScan(`127.0.0.1:${String(port)}`);
    const report = explain(summary);
    expect(summary.grade, report).toBe('A+');
    expect(summary.score ?? 0, report).toBeGreaterThanOrEqual(100);
    expect(
      summary.tests.filter((test) => !test.pass || test.scoreModifier < 0).map((test) => test.name),
      report,
    ).toEqual([]);
    // The two grades that need real TLS: a verified certificate, HSTS of six months or more, an http → https redirect.
    const byName = new Map(summary.tests.map((test) => [test.name, test.result]));
    expect(byName.get('strict-transport-security'), report).toBe('hsts-implemented-max-age-at-least-six-months');
    expect(byName.get('redirection'), report).toBe('redirection-to-https');
  }, 60_000);

  it('sends a fresh CSP nonce with every page, and the inline script carries it', async () => {
    const nonces = new Set<string>();
    for (let round = 0; round < 2; round += 1) {
      const page = await get('/');
      expect(page.status).toBe(200);
      const csp = String(page.headers['content-security-policy']);
      const fromHeader = /'nonce-([^']+)'/.exec(csp)?.[1];
      const fromScript = /<script nonce="([^"]+)">/.exec(page.body)?.[1];
      expect(fromHeader).toBeDefined();
      expect(fromScript).toBe(fromHeader);
      nonces.add(fromHeader ?? '');
    }
    expect(nonces.size).toBe(2);
  });

  it('redirects plain HTTP on the same port to HTTPS, and never to a host the request names', async () => {
    const redirect = (host: string): Promise<string | undefined> =>
      new Promise((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, path: '/orders?id=1', headers: { host }, agent: false },
          (res) => {
            res.resume();
            expect(res.statusCode).toBe(301);
            resolve(res.headers.location);
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect(await redirect(`127.0.0.1:${String(port)}`)).toBe(`https://127.0.0.1:${String(port)}/orders?id=1`);
    expect(await redirect('evil.example')).toBe(`https://127.0.0.1:${String(port)}/orders?id=1`);
  });
});
