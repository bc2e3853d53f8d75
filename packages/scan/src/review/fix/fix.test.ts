// `review({ fix })` on real projects in temporary directories: each fix kind rewrites the code as a person would and
// re-reviews clean of its finding; every case where the rewrite is not certain is refused, with the file untouched.
// (Running the fixed code against real databases, a shell, Express and Koa is in fix.runs.test.ts.)
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isFileError, parseSource } from '../engine/parse.js';
import { review, type ReviewOutcome } from '../review.js';
import { fixFindings } from './apply.js';
import { scratch } from './fix-harness.fixtures.js';

const { project, cleanup } = scratch('rampart-fix-');
afterAll(cleanup);

async function fix(root: string, options: { dryRun?: boolean } = {}): Promise<ReviewOutcome> {
  return review({ root, threads: 0, cache: false, fix: options });
}

const read = (root: string, file: string): string => readFileSync(join(root, file), 'utf8');

/** The fixed file's line that contains `needle`, trimmed. */
function lineWith(root: string, file: string, needle: string): string | undefined {
  return read(root, file).split('\n').find((line) => line.includes(needle))?.trim();
}

function reasons(outcome: ReviewOutcome): string[] {
  return (outcome.fixes?.unfixed ?? []).map((entry) => entry.reason);
}

const EXPRESS = `import express from 'express';\nconst app = express();\n`;

describe('SQL: parameters instead of built text', () => {
  it('pg with the pool imported from another file: `…${x}…` → `… $1`, [x], the quotes around the value dropped', async () => {
    const root = project({
      'src/db.ts': "import pg from 'pg';\nexport const pool = new pg.Pool();\n",
      'src/app.ts': `${EXPRESS}import { pool } from './db.js';
app.get('/users', async (req, res) => {
  const result = await pool.query(\`SELECT * FROM users WHERE name = '\${req.query.name}' AND age > \${req.query.age} LIMIT \${req.query.limit}\`);
  res.json(result.rows);
});
`,
    });
    const outcome = await fix(root);
    expect(outcome.fixes?.fixed).toHaveLength(1);
    expect(outcome.fixes?.fixed[0]?.description).toMatch(/\$1, \$2, \$3/);
    expect(lineWith(root, 'src/app.ts', 'pool.query')).toBe(
      'const result = await pool.query(`SELECT * FROM users WHERE name = $1 AND age > $2 LIMIT $3`, [req.query.name, req.query.age, req.query.limit]);',
    );
    expect(outcome.findings.filter((f) => f.class === 'sql-injection')).toEqual([]);
  });

  it('mysql2 execute with a concatenation → "… ?", [x], keeping the string\'s quote style', async () => {
    const root = project({
      'src/login.js': `const express = require('express');
const mysql = require('mysql2/promise');
const router = express.Router();
router.post('/login', async (req, res) => {
  const conn = await mysql.createConnection({});
  const [rows] = await conn.execute("SELECT id FROM users WHERE email = '" + req.body.email + "' AND active = 1");
  res.json(rows);
});
module.exports = router;
`,
    });
    const outcome = await fix(root);
    expect(outcome.fixes?.unfixed).toEqual([]);
    expect(lineWith(root, 'src/login.js', 'conn.execute')).toBe('const [rows] = await conn.execute("SELECT id FROM users WHERE email = ? AND active = 1", [req.body.email]);');
    expect(outcome.findings.filter((f) => f.class === 'sql-injection')).toEqual([]);
  });

  it('sqlite3 with a callback: the values go before it', async () => {
    const root = project({
      'src/app.js': `${EXPRESS}import sqlite3 from 'sqlite3';
const db = new sqlite3.Database(':memory:');
app.get('/u', (req, res) => {
  db.all("SELECT * FROM users WHERE id = " + req.query.id, (err, rows) => res.json(rows));
});
`,
    });
    const outcome = await fix(root);
    expect(outcome.fixes?.unfixed).toEqual([]);
    expect(lineWith(root, 'src/app.js', 'db.all')).toBe('db.all("SELECT * FROM users WHERE id = ?", [req.query.id], (err, rows) => res.json(rows));');
    expect(outcome.findings.filter((f) => f.class === 'sql-injection')).toEqual([]);
  });

  it('refuses what it cannot rewrite with certainty, leaving the file as it was', async () => {
    const source = `${EXPRESS}import pg from 'pg';
const pool = new pg.Pool();
app.get('/a', async (req, res) => {
  const sql = "SELECT * FROM users WHERE name = '" + req.query.name + "'";
  res.json(await pool.query(sql));
});
app.get('/b', async (req, res) => {
  res.json(await pool.query(\`SELECT * FROM users WHERE name LIKE '%\${req.query.q}%'\`));
});
app.get('/c', async (req, res) => {
  res.json(await pool.query(\`SELECT * FROM users ORDER BY \${req.query.sort}\`));
});
app.get('/d', async (req, res) => {
  res.json(await pool.query(\`SELECT * FROM users WHERE id = \${req.query.id} AND org = $1\`, [req.query.org]));
});
app.get('/e', async (req, res) => {
  res.json(await pool.query(\`SELECT * FROM "\${req.query.table}" WHERE id = 1\`));
});
`;
    const root = project({ 'src/app.js': source });
    const outcome = await fix(root);
    expect(outcome.fixes?.fixed).toEqual([]);
    expect(reasons(outcome)).toEqual([
      expect.stringMatching(/not built in the call itself/),
      expect.stringMatching(/part of a longer SQL string/),
      expect.stringMatching(/not in a value position/),
      expect.stringMatching(/already has \$n placeholders/),
      expect.stringMatching(/quoted identifier/),
    ]);
    expect(read(root, 'src/app.js')).toBe(source);
    expect(outcome.findings.filter((f) => f.class === 'sql-injection')).toHaveLength(5);
  });

  it('refuses when the driver cannot be told, or the call already passes values', async () => {
    const unknownDriver = project({
      'src/db.js': 'export const db = makeDatabase();\n',
      'src/app.js': `${EXPRESS}import { db } from './db.js';
app.get('/a', async (req, res) => {
  res.json(await db.query("SELECT * FROM users WHERE id = " + req.query.id));
});
`,
    });
    expect(reasons(await fix(unknownDriver))).toEqual([expect.stringMatching(/driver cannot be told from the imports/)]);
    const withValues = project({
      'src/app.js': `${EXPRESS}import mysql from 'mysql2';
const conn = mysql.createConnection({});
app.get('/b', (req, res) => {
  conn.query("SELECT * FROM users WHERE id = " + req.query.id + " AND org = ?", [1], (err, rows) => res.json(rows));
});
`,
    });
    expect(reasons(await fix(withValues))).toEqual([expect.stringMatching(/already contains "\?"/)]);
    const withOptions = project({
      'src/app.js': `${EXPRESS}import pg from 'pg';
const pool = new pg.Pool();
app.get('/c', async (req, res) => {
  res.json(await pool.query("SELECT * FROM users WHERE id = " + req.query.id, { rowMode: 'array' }));
});
`,
    });
    expect(reasons(await fix(withOptions))).toEqual([expect.stringMatching(/already passes a second argument/)]);
  });
});

describe('exec → execFile with an argument array', () => {
  it('rewrites the call and adds execFile to the existing import; words mixing text and values become templates', async () => {
    const root = project({
      'src/thumbs.ts': `${EXPRESS}import { exec } from 'child_process';
app.post('/thumb', (req, res) => {
  exec(\`convert \${req.body.file} -resize 100x100 thumb-\${req.body.id}.png\`, { timeout: 5000 }, (error) => res.json({ ok: !error }));
});
`,
    });
    const outcome = await fix(root);
    expect(outcome.fixes?.unfixed).toEqual([]);
    expect(lineWith(root, 'src/thumbs.ts', "from 'child_process'")).toBe("import { exec, execFile } from 'child_process';");
    expect(lineWith(root, 'src/thumbs.ts', 'execFile(')).toBe(
      "execFile('convert', [String(req.body.file), '-resize', '100x100', `thumb-${req.body.id}.png`], { timeout: 5000 }, (error) => res.json({ ok: !error }));",
    );
    expect(outcome.findings.filter((f) => f.class === 'command-injection')).toEqual([]);
  });

  it('cp.execSync on the module object: only the method changes', async () => {
    const root = project({
      'src/convert.js': `const express = require('express');
const cp = require('node:child_process');
const app = express();
app.post('/convert', (req, res) => {
  const out = cp.execSync('convert ' + req.body.file + ' out.png');
  res.json({ size: out.length });
});
`,
    });
    const outcome = await fix(root);
    expect(outcome.fixes?.unfixed).toEqual([]);
    expect(lineWith(root, 'src/convert.js', 'cp.exec')).toBe("const out = cp.execFileSync('convert', [String(req.body.file), 'out.png']);");
    expect(outcome.findings.filter((f) => f.class === 'command-injection')).toEqual([]);
  });

  it('refuses shell syntax, a program taken from input, shell options and a non-child_process exec', async () => {
    const source = `${EXPRESS}import { exec } from 'node:child_process';
import shell from 'shelljs';
app.get('/a', (req, res) => { exec(\`cat \${req.query.f} | wc -l\`, (e, out) => res.send(out)); });
app.get('/b', (req, res) => { exec(\`\${req.query.tool} --version\`, (e, out) => res.send(out)); });
app.get('/c', (req, res) => { exec('ls ' + req.query.dir, { shell: '/bin/bash' }, (e, out) => res.send(out)); });
app.get('/d', (req, res) => { exec("grep '" + req.query.q + "' log.txt", (e, out) => res.send(out)); });
app.get('/e', (req, res) => { res.send(shell.exec('ls ' + req.query.dir).stdout); });
`;
    const root = project({ 'src/app.ts': source });
    const outcome = await fix(root);
    expect(outcome.fixes?.fixed).toEqual([]);
    expect(reasons(outcome)).toEqual([
      expect.stringMatching(/"\|", which the shell interprets/),
      expect.stringMatching(/program itself comes from a value/),
      expect.stringMatching(/ask for a shell/),
      expect.stringMatching(/"'", which the shell interprets/),
      expect.stringMatching(/not child_process/),
    ]);
    expect(read(root, 'src/app.ts')).toBe(source);
  });
});

/** jsonwebtoken is not installed here: the fixed code is checked to parse and to pass the algorithm list. */
function parses(root: string, file: string): boolean {
  const parsed = parseSource({ file, text: read(root, file) });
  return !isFileError(parsed) && ((parsed.ast as { errors?: unknown[] }).errors ?? []).length === 0;
}

describe('jwt.verify gets an algorithm list', () => {
  it('HS256 for a secret (the engine\'s own fix), RS256 for a visible public key, merged into written options', async () => {
    const root = project({
      'src/auth.ts': `import jwt from 'jsonwebtoken';
import { readFileSync } from 'node:fs';
const publicKey = readFileSync('keys/public.pem', 'utf8');
export function readToken(token: string, key: string) {
  return jwt.verify(token, key);
}
export function readSigned(token: string) {
  return jwt.verify(token, publicKey);
}
export function readWithOptions(token: string, key: string) {
  return jwt.verify(token, key, { issuer: 'https://id.example' });
}
export function readWithCallback(token: string, key: string, done: (error: unknown) => void) {
  jwt.verify(token, key, (error) => done(error));
}
export const lax = (token: string, key: string) => jwt.verify(token, key, { algorithms: ['HS256', 'none'] });
`,
    });
    const outcome = await fix(root);
    expect(outcome.fixes?.unfixed).toEqual([]);
    expect(outcome.fixes?.fixed).toHaveLength(5);
    const text = read(root, 'src/auth.ts');
    expect(text).toContain("return jwt.verify(token, key, { algorithms: ['HS256'] });");
    expect(text).toContain("return jwt.verify(token, publicKey, { algorithms: ['RS256'] });");
    expect(text).toContain("return jwt.verify(token, key, { issuer: 'https://id.example', algorithms: ['HS256'] });");
    expect(text).toContain("jwt.verify(token, key, { algorithms: ['HS256'] }, (error) => done(error));");
    expect(text).toContain("jwt.verify(token, key, { algorithms: ['HS256'] });\n");
    expect(parses(root, 'src/auth.ts')).toBe(true);
    expect(outcome.findings.filter((f) => f.class === 'jwt-misuse')).toEqual([]);
  });

  it("refuses when 'none' is the only algorithm, or the options are built elsewhere", async () => {
    const source = `import jwt from 'jsonwebtoken';
const options = { issuer: 'x' };
export const a = (token: string, key: string) => jwt.verify(token, key, { algorithms: ['none'] });
export const b = (token: string, key: string) => jwt.verify(token, key, options);
`;
    const root = project({ 'src/auth.ts': source });
    const outcome = await fix(root);
    expect(reasons(outcome)).toEqual([expect.stringMatching(/'none' is the only algorithm/), expect.stringMatching(/not written in the call/)]);
    expect(read(root, 'src/auth.ts')).toBe(source);
  });
});

describe('cookie flags', () => {
  it('express-session gets a cookie: option (express-session is not installed: the fix is checked by review and parse)', async () => {
    const root = project({
      'src/app.ts': `${EXPRESS}import session from 'express-session';
app.use(session({ secret: process.env.SESSION_SECRET ?? '', resave: false, saveUninitialized: false }));
`,
    });
    const outcome = await fix(root);
    expect(outcome.fixes?.unfixed).toEqual([]);
    expect(lineWith(root, 'src/app.ts', 'session({')).toBe(
      "app.use(session({ secret: process.env.SESSION_SECRET ?? '', resave: false, saveUninitialized: false, cookie: { httpOnly: true, secure: true, sameSite: 'lax' } }));",
    );
    expect(parses(root, 'src/app.ts')).toBe(true);
    expect(outcome.findings.filter((f) => f.class === 'insecure-cookie')).toEqual([]);
  });

  it("sameSite: 'none' is kept and gets secure; a flag turned off on purpose and cookie-session are refused", async () => {
    const source = `${EXPRESS}import cookieSession from 'cookie-session';
app.use(cookieSession({ name: 's', keys: ['k'] }));
app.get('/a', (req, res) => { res.cookie('embed', 'x', { sameSite: 'none' }); res.end(); });
app.get('/b', (req, res) => { res.cookie('csrf', 'x', { httpOnly: false }); res.end(); });
`;
    const root = project({ 'src/app.ts': source });
    const outcome = await fix(root);
    expect(outcome.fixes?.fixed.map((entry) => entry.finding.range.start.line)).toEqual([5]);
    expect(lineWith(root, 'src/app.ts', "'embed'")).toContain("res.cookie('embed', 'x', { sameSite: 'none', httpOnly: true, secure: true });");
    expect(reasons(outcome)).toEqual([expect.stringMatching(/cookie-session takes secure/), expect.stringMatching(/httpOnly is explicitly turned off/)]);
    expect(lineWith(root, 'src/app.ts', "'csrf'")).toContain('{ httpOnly: false }');
  });
});

describe('applying fixes', () => {
  const VULNERABLE = `${EXPRESS}import { exec } from 'node:child_process';
app.get('/ping', (req, res) => {
  exec(\`ping -c 1 \${req.query.host}\`, (error, stdout) => res.send(stdout));
});
`;

  it('--dry-run: a unified diff, nothing written, the findings as they are', async () => {
    const root = project({ 'src/ping.ts': VULNERABLE });
    const outcome = await fix(root, { dryRun: true });
    expect(outcome.fixes?.dryRun).toBe(true);
    expect(outcome.fixes?.files).toEqual(['src/ping.ts']);
    expect(outcome.fixes?.diff).toBe(`--- a/src/ping.ts
+++ b/src/ping.ts
@@ -1,6 +1,6 @@
 import express from 'express';
 const app = express();
-import { exec } from 'node:child_process';
+import { exec, execFile } from 'node:child_process';
 app.get('/ping', (req, res) => {
-  exec(\`ping -c 1 \${req.query.host}\`, (error, stdout) => res.send(stdout));
+  execFile('ping', ['-c', '1', String(req.query.host)], (error, stdout) => res.send(stdout));
 });
`);
    expect(read(root, 'src/ping.ts')).toBe(VULNERABLE);
    expect(outcome.findings.filter((f) => f.class === 'command-injection')).toHaveLength(1);
  });

  it('writes atomically: the mode is kept and no temporary file is left', async () => {
    const root = project({ 'src/ping.ts': VULNERABLE });
    chmodSync(join(root, 'src/ping.ts'), 0o640);
    const outcome = await fix(root);
    expect(outcome.fixes?.files).toEqual(['src/ping.ts']);
    expect(statSync(join(root, 'src/ping.ts')).mode & 0o777).toBe(0o640);
    expect(readdirSync(join(root, 'src'))).toEqual(['ping.ts']);
  });

  it('refuses a file that changed since the review read it', async () => {
    const root = project({ 'src/ping.ts': VULNERABLE });
    const reviewed = await review({ root, threads: 0, cache: false });
    writeFileSync(join(root, 'src/ping.ts'), `// edited meanwhile\n${VULNERABLE}`);
    const outcome = fixFindings({ root, findings: reviewed.findings, reviewed: new Map([['src/ping.ts', VULNERABLE]]) });
    expect(outcome.fixed).toEqual([]);
    expect(outcome.unfixed.map((entry) => entry.reason)).toEqual(['the file has changed since it was reviewed']);
    expect(read(root, 'src/ping.ts')).toBe(`// edited meanwhile\n${VULNERABLE}`);
  });

  it('two fixes in one file share one import edit; select limits what is fixed', async () => {
    const root = project({
      'src/tools.ts': `${EXPRESS}import { exec } from 'node:child_process';
app.get('/a', (req, res) => { exec('ping -c 1 ' + req.query.host, (e, out) => res.send(out)); });
app.get('/b', (req, res) => { exec('host ' + req.query.name, (e, out) => res.send(out)); });
app.get('/c', (req, res) => { res.cookie('session', 'abc'); res.end(); });
`,
    });
    const outcome = await review({ root, threads: 0, cache: false, fix: { select: (finding) => finding.class === 'command-injection' } });
    expect(outcome.fixes?.fixed).toHaveLength(2);
    const text = read(root, 'src/tools.ts');
    expect(text).toContain("import { exec, execFile } from 'node:child_process';");
    expect(text).toContain("execFile('host', [String(req.query.name)]");
    expect(text).toContain("res.cookie('session', 'abc');");
    expect(outcome.findings.map((f) => f.class)).toEqual(['insecure-cookie']);
  });
});
