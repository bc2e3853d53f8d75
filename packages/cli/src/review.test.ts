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

  it('exits 2 on a path that does not exist, a bad option, and the reserved --fix', async () => {
    const root = project({ 'src/app.ts': SAFE_ROUTE });
    const missing = await rampart(['review', 'src/nope'], root);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/does not exist/);
    const format = await rampart(['review', '--format', 'xml'], root);
    expect(format.code).toBe(2);
    expect(format.err).toMatch(/--format must be one of text, json, sarif/);
    const fix = await rampart(['review', '--fix'], root);
    expect(fix.code).toBe(2);
    expect(fix.err).not.toMatch(/not yet available/);
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
    const root = project({ 'src/app.ts': VULNERABLE_ROUTE, 'src/db.ts': DB });
    const run = await rampart(['review', '--severity', 'critical', '--format', 'json'], root);
    const report = JSON.parse(run.out) as { findings: unknown[]; belowThreshold: number };
    expect(report.findings).toEqual([]);
    expect(report.belowThreshold).toBe(1);
    expect(run.code).toBe(0);
  });
});

describe('rampart review arguments (in process)', () => {
  async function command(args: string[], cwd = temp) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await reviewCommand(['review', ...args], { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, cwd });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('--help prints the usage, which does not offer --fix yet', async () => {
    const help = await command(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toBe(REVIEW_USAGE);
    expect(REVIEW_USAGE).not.toContain('--fix');
  });

  it('refuses bad values with exit 2', async () => {
    for (const args of [['--severity', 'severe'], ['--threads', '-1'], ['--threads', 'many'], ['--threads', '1000'], ['--root', join(temp, 'none')], ['--bogus']]) {
      const run = await command(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.err, args.join(' ')).toMatch(/rampart review: /);
    }
  });
});
