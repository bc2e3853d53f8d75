import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rampart } from './cli-harness.fixtures.js';
import { REVIEW_USAGE, reviewCommand } from './review.js';

// `rampart review` as a developer or CI runs it: the built bin (`npm run build` first) in real child processes on a
// temporary project; the argument checks that need no review run in this process.
const temp = mkdtempSync(join(tmpdir(), 'rampart-review-cli-'));
afterAll(() => {
  rmSync(temp, { recursive: true, force: true });
});

let projects = 0;
function project(files: Record<string, string>): string {
  const root = join(temp, `p${++projects}`);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
}

const VULNERABLE_ROUTE = `import express from 'express';
import { db } from './db.js';

const app = express();
app.get('/users', async (req, res) => {
  const rows = await db.query("SELECT * FROM users WHERE id = " + req.query.id);
  res.json(rows);
});
app.listen(3000);
`;

const SAFE_ROUTE = `import express from 'express';
import { db } from './db.js';

const app = express();
app.get('/users', async (req, res) => {
  const rows = await db.query('SELECT * FROM users WHERE id = $1', [req.query.id]);
  res.json(rows);
});
app.listen(3000);
`;

const DB = `import pg from 'pg';
export const db = new pg.Pool();
`;

const JWT_WITHOUT_ALGORITHMS = `import jwt from 'jsonwebtoken';
export function readToken(token: string, key: string) {
  return jwt.verify(token, key);
}
`;

describe('rampart review (built bin)', () => {
  it('exits 1 with a finding, showing the rule, the place and the summary', async () => {
    const root = project({ 'src/app.ts': VULNERABLE_ROUTE, 'src/db.ts': DB });
    const run = await rampart(['review', '--no-cache'], root);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/sql-injection\/\S+ {2}src\/app\.ts:6:/);
    expect(run.out).toMatch(/rampart review: 1 finding \(\d? ?\w+/);
    expect(run.out.includes('\u001b[')).toBe(false); // not a TTY: no colour
    expect(run.err).toBe('');
  });

  it('exits 0 on clean code', async () => {
    const root = project({ 'src/app.ts': SAFE_ROUTE, 'src/db.ts': DB });
    const run = await rampart(['review'], root);
    expect(run.err).toBe('');
    expect(run.out).toContain('rampart review: no findings in 2 files');
    expect(run.code).toBe(0);
  });

  it('exits 2 on a path that does not exist, a bad option, and --dry-run without --fix', async () => {
    const root = project({ 'src/app.ts': SAFE_ROUTE });
    const missing = await rampart(['review', 'src/nope'], root);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/does not exist/);
    const format = await rampart(['review', '--format', 'xml'], root);
    expect(format.code).toBe(2);
    expect(format.err).toMatch(/--format must be one of text, json, sarif/);
    const dryRun = await rampart(['review', '--dry-run'], root);
    expect(dryRun.code).toBe(2);
    expect(dryRun.err).toMatch(/--dry-run goes with --fix/);
  });

  it('writes SARIF that parses, to stdout or a file, with the finding and its code flow', async () => {
    const root = project({ 'src/app.ts': VULNERABLE_ROUTE, 'src/db.ts': DB });
    const run = await rampart(['review', '--format', 'sarif', '--threads', '2'], root);
    expect(run.code).toBe(1);
    const log = JSON.parse(run.out) as { version: string; runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]?.results[0]?.ruleId).toMatch(/^sql-injection\//);
    expect(log.runs[0]?.results[0]?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('src/app.ts');
    const toFile = await rampart(['review', '--format', 'sarif', '--output', 'review.sarif'], root);
    expect(toFile.code).toBe(1);
    expect(toFile.out).toBe('');
    expect(toFile.err).toMatch(/rampart review: 1 finding/);
    expect(JSON.parse(readFileSync(join(root, 'review.sarif'), 'utf8'))).toEqual(log);
  });

  it('a baseline hides the findings it records, until a new one appears', async () => {
    const root = project({ 'src/app.ts': VULNERABLE_ROUTE, 'src/db.ts': DB });
    const write = await rampart(['review', '--write-baseline', 'baseline.json'], root);
    expect(write.code).toBe(1);
    expect(write.err).toMatch(/wrote a baseline of 1 finding/);
    const again = await rampart(['review', '--baseline', 'baseline.json', '--format', 'json'], root);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ findings: [], baseline: { baselined: 1, fixed: 0 } });
    writeFileSync(join(root, 'src/app.ts'), SAFE_ROUTE);
    const fixed = await rampart(['review', '--baseline', 'baseline.json'], root);
    expect(fixed.code).toBe(0);
    expect(fixed.out).toMatch(/0 baselined, 1 fixed since the baseline/);
  });

  it('--severity raises the bar: a high finding does not fail a critical-only review', async () => {
    // jwt-misuse/verify-without-algorithms is high in the rule pack (SQL injection is critical).
    const root = project({ 'src/auth.ts': JWT_WITHOUT_ALGORITHMS });
    const high = await rampart(['review', '--severity', 'high', '--format', 'json'], root);
    const found = JSON.parse(high.out) as { findings: { ruleId: string; severity: string }[] };
    expect(found.findings.map((f) => [f.ruleId, f.severity])).toEqual([['jwt-misuse/verify-without-algorithms', 'high']]);
    expect(high.code).toBe(1);
    const run = await rampart(['review', '--severity', 'critical', '--format', 'json'], root);
    const report = JSON.parse(run.out) as { findings: unknown[]; belowThreshold: number };
    expect(report.findings).toEqual([]);
    expect(report.belowThreshold).toBe(1);
    expect(run.code).toBe(0);
  });

  it('--fix rewrites the query with parameters, says what it fixed, and exits 0 when nothing remains', async () => {
    const root = project({ 'src/app.ts': VULNERABLE_ROUTE, 'src/db.ts': DB });
    const run = await rampart(['review', '--fix', '--no-cache'], root);
    expect(run.out).toMatch(/^fixed src\/app\.ts:6:\d+ sql-injection\/string-built-query: Pass the value as query parameters \(\$1\)/m);
    expect(run.out).not.toContain('--- a/src/app.ts'); // the diff is for --dry-run
    expect(run.out.trimEnd().split('\n').at(-1)).toBe('rampart review: no findings in 2 files (11 lines); 1 fixed, 0 not fixable');
    expect(run.code).toBe(0);
    expect(readFileSync(join(root, 'src/app.ts'), 'utf8')).toContain('await db.query("SELECT * FROM users WHERE id = $1", [req.query.id]);');
  });

  it('--fix --dry-run prints a unified diff, writes nothing and exits 1 on what is still there', async () => {
    const root = project({ 'src/app.ts': VULNERABLE_ROUTE, 'src/db.ts': DB });
    const run = await rampart(['review', '--fix', '--dry-run'], root);
    expect(run.out).toContain([
      '--- a/src/app.ts',
      '+++ b/src/app.ts',
      '@@ -3,7 +3,7 @@',
    ].join('\n'));
    expect(run.out).toContain(`-  const rows = await db.query("SELECT * FROM users WHERE id = " + req.query.id);\n+  const rows = await db.query("SELECT * FROM users WHERE id = $1", [req.query.id]);`);
    expect(run.out).toMatch(/^would fix src\/app\.ts:6:/m);
    expect(run.code).toBe(1);
    expect(readFileSync(join(root, 'src/app.ts'), 'utf8')).toBe(VULNERABLE_ROUTE);
    // With a JSON report, stdout stays one document: what --fix did goes to stderr and into the report.
    const json = await rampart(['review', '--fix', '--dry-run', '--format', 'json'], root);
    expect(JSON.parse(json.out)).toMatchObject({ fixes: { dryRun: true, files: ['src/app.ts'], unfixed: [] } });
    expect(json.err).toMatch(/^would fix src\/app\.ts:6:/m);
  });

  it('.rampart-review-ignore: files left out are counted in the summary; a pattern without a reason exits 2', async () => {
    const root = project({
      'src/app.ts': SAFE_ROUTE, 'src/db.ts': DB,
      'samples/.rampart-review-ignore': '# payloads the tests replay\nvulnerable/**  # deliberately vulnerable on purpose\n',
      'samples/vulnerable/route.ts': VULNERABLE_ROUTE,
    });
    const run = await rampart(['review'], root);
    expect(run.out).toContain('rampart review: no findings in 2 files (11 lines); 1 file ignored by samples/.rampart-review-ignore');
    expect(run.code).toBe(0);
    writeFileSync(join(root, 'samples/.rampart-review-ignore'), 'vulnerable/**\n');
    const bad = await rampart(['review'], root);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/samples\/\.rampart-review-ignore:1: "vulnerable\/\*\*" has no reason/);
  });
});

describe('rampart review arguments (in process)', () => {
  async function command(args: string[], cwd = temp) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await reviewCommand(['review', ...args], { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, cwd });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('--help prints the usage, with --fix, --dry-run and the ignore file', async () => {
    const help = await command(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toBe(REVIEW_USAGE);
    expect(REVIEW_USAGE).toContain('--fix');
    expect(REVIEW_USAGE).toContain('--dry-run');
    expect(REVIEW_USAGE).toContain('.rampart-review-ignore');
  });

  it('refuses bad values with exit 2', async () => {
    for (const args of [['--severity', 'severe'], ['--dry-run'], ['--threads', '-1'], ['--threads', 'many'], ['--threads', '1000'], ['--root', join(temp, 'none')], ['--bogus']]) {
      const run = await command(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.err, args.join(' ')).toMatch(/rampart review: /);
    }
  });
});
