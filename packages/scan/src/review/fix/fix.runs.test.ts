// `review --fix` must leave code that still runs and is no longer exploitable: each vulnerable app is attacked before
// the fix (the payload works), fixed through `review({ fix: true })`, re-reviewed clean of the finding, run again as a
// real server on 127.0.0.1 (real better-sqlite3, PostgreSQL, shell, Express and Koa), and attacked again.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { review } from '../review.js';
import type { Finding } from '../types.js';
import { scratch, withApp } from './fix-harness.fixtures.js';

const { project, cleanup } = scratch('rampart-fix-runs-');
afterAll(cleanup);

const INJECTION = "' OR '1'='1";
const pgUrl = process.env.RAMPART_TEST_PG_URL;

const listen = `const server = app.listen(0, '127.0.0.1', () => console.log(server.address().port));\n`;

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.json();
}

/**
 * Reviews, fixes, and checks the fixed code re-reviews clean of the class. `tolerated` names remaining findings that
 * are not about the fixed code (see the better-sqlite3 case).
 */
async function fixed(root: string, ruleClass: string, tolerated: (finding: Finding) => boolean = () => false) {
  const before = await review({ root, threads: 0, cache: false });
  const targets = before.findings.filter((f) => f.class === ruleClass);
  expect(targets.length).toBeGreaterThan(0);
  const after = await review({ root, threads: 0, cache: false, fix: true });
  expect(after.fixes?.unfixed.filter((entry) => entry.finding.class === ruleClass)).toEqual([]);
  expect(after.fixes?.fixed.map((entry) => entry.finding.fingerprint).sort()).toEqual(targets.map((f) => f.fingerprint).sort());
  const remaining = after.findings.filter((f) => f.class === ruleClass);
  expect(remaining.map((f) => f.fingerprint)).not.toEqual(expect.arrayContaining(targets.map((f) => f.fingerprint)));
  expect(remaining.filter((f) => !tolerated(f))).toEqual([]);
  return after;
}

describe('SQL fixes still run and stop the injection', () => {
  const SQLITE_APP = `import express from 'express';
import Database from 'better-sqlite3';

const db = new Database(':memory:');
db.exec('CREATE TABLE users (name TEXT, role TEXT)');
db.exec("INSERT INTO users VALUES ('alice', 'admin'), ('bob', 'user')");
const app = express();
app.get('/users', (req, res) => {
  const rows = db.prepare(\`SELECT name FROM users WHERE name = '\${req.query.name}'\`).all();
  res.json(rows);
});
${listen}`;

  it('better-sqlite3: prepare(`…${x}…`).all() → prepare("… ?").all(x)', async () => {
    const root = project({ 'app.mjs': SQLITE_APP });
    const attack = `/users?name=${encodeURIComponent(INJECTION)}`;
    await withApp(root, 'app.mjs', async (url) => {
      expect(await getJson(`${url}${attack}`)).toHaveLength(2); // the payload works on the vulnerable app
    });
    // The SQL text is clean after the fix, and the prepared statement's .all(value) binds a parameter: nothing remains.
    await fixed(root, 'sql-injection');
    const text = readFileSync(join(root, 'app.mjs'), 'utf8');
    expect(text).toContain("db.prepare(`SELECT name FROM users WHERE name = ?`).all(req.query.name)");
    await withApp(root, 'app.mjs', async (url) => {
      expect(await getJson(`${url}/users?name=alice`)).toEqual([{ name: 'alice' }]);
      expect(await getJson(`${url}${attack}`)).toEqual([]);
    });
  });

  it.skipIf(pgUrl === undefined)('pg (needs RAMPART_TEST_PG_URL): "…" + x + "…" → "… $1", [x]', async () => {
    const root = project({
      'app.mjs': `import express from 'express';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL, max: 1, idleTimeoutMillis: 0 });
await pool.query('CREATE TEMP TABLE users (name text, role text)');
await pool.query("INSERT INTO users VALUES ('alice', 'admin'), ('bob', 'user')");
const app = express();
app.get('/users', async (req, res) => {
  const result = await pool.query("SELECT name FROM users WHERE name = '" + req.query.name + "' AND role <> 'none'");
  res.json(result.rows);
});
${listen}`,
    });
    const env = { TEST_DATABASE_URL: pgUrl ?? '' };
    const attack = `/users?name=${encodeURIComponent(INJECTION)}`;
    await withApp(root, 'app.mjs', async (url) => {
      expect(await getJson(`${url}${attack}`)).toHaveLength(2);
    }, env);
    await fixed(root, 'sql-injection');
    expect(readFileSync(join(root, 'app.mjs'), 'utf8')).toContain(`pool.query("SELECT name FROM users WHERE name = $1 AND role <> 'none'", [req.query.name])`);
    await withApp(root, 'app.mjs', async (url) => {
      expect(await getJson(`${url}/users?name=bob`)).toEqual([{ name: 'bob' }]);
      expect(await getJson(`${url}${attack}`)).toEqual([]);
    }, env);
  });
});

describe('exec fixes still run and no shell sees the payload', () => {
  const PAYLOAD = 'x; touch pwned';

  it('ESM exec(`echo …${x}`, cb) → execFile("echo", [String(x)], cb)', async () => {
    const root = project({
      'app.mjs': `import express from 'express';
import { exec } from 'node:child_process';

const app = express();
app.get('/echo', (req, res) => {
  exec(\`echo hello \${req.query.text}\`, (error, stdout) => res.type('text').send(stdout));
});
${listen}`,
    });
    const attack = `/echo?text=${encodeURIComponent(PAYLOAD)}`;
    await withApp(root, 'app.mjs', async (url) => {
      await fetch(`${url}${attack}`).then((response) => response.text());
    });
    expect(existsSync(join(root, 'pwned'))).toBe(true); // the vulnerable app ran the injected command
    rmSync(join(root, 'pwned')); // the vulnerable run's evidence, so the fixed run is judged on its own
    await fixed(root, 'command-injection');
    const text = readFileSync(join(root, 'app.mjs'), 'utf8');
    expect(text).toContain("import { exec, execFile } from 'node:child_process';");
    expect(text).toContain("execFile('echo', ['hello', String(req.query.text)], (error, stdout)");
    await withApp(root, 'app.mjs', async (url) => {
      expect(await fetch(`${url}/echo?text=world`).then((response) => response.text())).toBe('hello world\n');
      expect(await fetch(`${url}${attack}`).then((response) => response.text())).toBe(`hello ${PAYLOAD}\n`);
    });
    expect(existsSync(join(root, 'pwned'))).toBe(false);
  });

  it('CommonJS execSync("echo " + x) → execFileSync("echo", [String(x)]), the require extended', async () => {
    const root = project({
      'app.cjs': `const express = require('express');
const { execSync } = require('child_process');

const app = express();
app.get('/echo', (req, res) => {
  res.type('text').send(execSync('echo ' + req.query.text).toString());
});
${listen}`,
    });
    await fixed(root, 'command-injection');
    const text = readFileSync(join(root, 'app.cjs'), 'utf8');
    expect(text).toContain("const { execSync, execFileSync } = require('child_process');");
    expect(text).toContain("execFileSync('echo', [String(req.query.text)])");
    await withApp(root, 'app.cjs', async (url) => {
      expect(await fetch(`${url}/echo?text=${encodeURIComponent(PAYLOAD)}`).then((response) => response.text())).toBe(`${PAYLOAD}\n`);
    });
    expect(existsSync(join(root, 'pwned'))).toBe(false);
  });
});

describe('cookie fixes: the browser gets the flags', () => {
  function flags(setCookie: string): Set<string> {
    return new Set(setCookie.split(';').slice(1).map((part) => part.trim().toLowerCase()));
  }

  it('Express res.cookie: flags added, existing options kept', async () => {
    const root = project({
      'app.mjs': `import express from 'express';

const app = express();
app.post('/login', (req, res) => {
  res.cookie('session', 'abc');
  res.cookie('theme', 'dark', { maxAge: 60000 });
  res.end();
});
${listen}`,
    });
    await fixed(root, 'insecure-cookie');
    await withApp(root, 'app.mjs', async (url) => {
      const response = await fetch(`${url}/login`, { method: 'POST' });
      expect(response.status).toBe(200);
      const cookies = response.headers.getSetCookie();
      expect(cookies).toHaveLength(2);
      for (const cookie of cookies) {
        const set = flags(cookie);
        expect(set.has('httponly') && set.has('secure') && set.has('samesite=lax'), cookie).toBe(true);
      }
      expect(cookies.find((cookie) => cookie.startsWith('theme='))).toMatch(/Max-Age=60/);
    });
  });

  it('Koa ctx.cookies.set: flags added; Koa sends a secure cookie only on a connection it knows is HTTPS', async () => {
    const root = project({
      'app.mjs': `import Koa from 'koa';

const app = new Koa();
app.proxy = true;
app.maxIpsCount = 1;
app.use((ctx) => {
  ctx.cookies.set('session', 'abc');
  ctx.body = 'ok';
});
const server = app.listen(0, '127.0.0.1', () => console.log(server.address().port));
`,
    });
    await fixed(root, 'insecure-cookie');
    expect(readFileSync(join(root, 'app.mjs'), 'utf8')).toContain("ctx.cookies.set('session', 'abc', { httpOnly: true, secure: true, sameSite: 'lax' });");
    await withApp(root, 'app.mjs', async (url) => {
      const response = await fetch(url, { headers: { 'x-forwarded-proto': 'https' } });
      expect(response.status).toBe(200);
      const set = flags(response.headers.getSetCookie()[0] ?? '');
      expect([...set].sort()).toEqual(expect.arrayContaining(['httponly', 'secure', 'samesite=lax']));
    });
  });
});
