import { describe, expect, it } from 'vitest';
import type { Finding } from '../types.js';
import { loadRuleSet } from '../rules/load.js';
import { reviewFiles as review } from './engine.fixtures.js';
import { reviewSources } from './review.js';

const rules = loadRuleSet();

function classes(findings: readonly Finding[]): string[] {
  return findings.map((finding) => finding.class);
}

const EXPRESS = "import express from 'express';\nimport { Pool } from 'pg';\nconst app = express();\nconst pool = new Pool();\n";

describe('intra-file flows', () => {
  it('follows input through a helper that builds the query', () => {
    const findings = review({
      'app.ts': `${EXPRESS}
function buildQuery(name: string) { return "SELECT * FROM users WHERE name = '" + name + "'"; }
app.get('/u', async (req, res) => { res.json(await pool.query(buildQuery(req.query.name))); });`,
    });
    expect(classes(findings)).toEqual(['sql-injection']);
    expect(findings[0]?.flow[0]?.message).toContain('query string');
  });

  it('reports a sink inside a helper at the helper, with the call hop in the flow', () => {
    const findings = review({
      'app.ts': `${EXPRESS}
async function findUser(name: string) {
  return pool.query(\`SELECT * FROM users WHERE name = '\${name}'\`);
}
app.get('/u', async (req, res) => { res.json(await findUser(req.query.name)); });`,
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]?.range.start.line).toBe(7);
    expect(findings[0]?.flow.some((step) => step.message.includes('passed to findUser()'))).toBe(true);
  });

  it('follows destructuring with defaults and rest, arrays and object properties', () => {
    const findings = review({
      'app.ts': `${EXPRESS}
app.post('/a', (req, res) => {
  const { name = 'x', ...rest } = req.body;
  const [first] = [rest.extra, 'y'];
  const holder = { safe: 'constant', bad: name };
  holder.other = first;
  pool.query('SELECT ' + holder.safe);
  pool.query('SELECT ' + holder.other);
  res.end();
});`,
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]?.range.start.line).toBe(12);
  });

  it('follows async/await, promise callbacks and array callbacks', () => {
    const findings = review({
      'app.ts': `${EXPRESS}
import { exec } from 'node:child_process';
app.post('/a', async (req, res) => {
  const names: string[] = [];
  names.push(req.body.name);
  names.map((n) => n.trim()).forEach((n) => exec('echo ' + n));
  Promise.resolve(req.body.cmd).then((cmd) => exec(cmd));
  res.end();
});`,
    });
    expect(findings.filter((finding) => finding.class === 'command-injection')).toHaveLength(2);
  });

  it('follows class fields and methods, local classes and this', () => {
    const findings = review({
      'app.ts': `${EXPRESS}
import { exec } from 'node:child_process';
class Repo {
  constructor(private readonly db: Pool) {}
  find(id: string) { return this.db.query('SELECT * FROM t WHERE id = ' + id); }
}
class Job {
  cmd = '';
  set(input: string) { this.cmd = input; this.run(); }
  run() { exec(this.cmd); }
}
app.get('/r/:id', async (req, res) => {
  res.json(await new Repo(pool).find(req.params.id));
  new Job().set(req.query.cmd);
});`,
    });
    expect(classes(findings).sort()).toEqual(['command-injection', 'sql-injection']);
  });

  it('accepts sanitizers for the right class and rejects them for another', () => {
    const findings = review({
      'app.ts': `${EXPRESS}
app.get('/a', (req, res) => {
  pool.query('SELECT * FROM t WHERE id = ' + Number(req.query.id));
  pool.query('SELECT * FROM t WHERE name = ' + encodeURIComponent(req.query.name));
  res.end();
});`,
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]?.range.start.line).toBe(8);
  });

  it('still reports a sanitizer on one branch only, or on a copy', () => {
    const findings = review({
      'app.ts': `${EXPRESS}
app.get('/a', (req, res) => {
  let id = req.query.id;
  if (req.query.strict) id = Number(id);
  pool.query('SELECT * FROM a WHERE id = ' + id);
  const name = req.query.name;
  const safeName = Number(name);
  pool.query('SELECT * FROM b WHERE id = ' + name);
  res.json(safeName);
});`,
    });
    expect(findings.map((finding) => finding.range.start.line)).toEqual([9, 12]);
  });

  it('cleans on the guarded path only (allowlist guards)', () => {
    const findings = review({
      'app.ts': `${EXPRESS}
const SORTS = new Set(['name', 'date']);
app.get('/a', (req, res) => {
  const sort = req.query.sort;
  if (SORTS.has(sort)) {
    pool.query('SELECT * FROM t ORDER BY ' + sort);
  }
  pool.query('SELECT * FROM u ORDER BY ' + sort);
  res.end();
});`,
    });
    expect(findings.map((finding) => finding.range.start.line)).toEqual([12]);
  });

  it('is scope-aware: a helper parameter named req is not a source, a local named query is not', () => {
    const findings = review({
      'app.ts': `${EXPRESS}
export function unused(req: { body: { x: string } }) { return pool.query('SELECT ' + req.body.x); }
app.get('/a', (req, res) => {
  const query = 'static';
  pool.query('SELECT ' + query);
  const inner = (req: { body: string }) => pool.query(req.body);
  inner({ body: 'constant' });
  res.end();
});`,
    });
    expect(findings).toEqual([]);
  });
});

describe('cross-file flows', () => {
  it('follows a route into a helper file (ESM) and reports once at the sink', () => {
    const findings = review({
      'src/routes.ts': `import express from 'express';
import { findUser } from './db.js';
const router = express.Router();
router.get('/u', async (req, res) => res.json(await findUser(req.query.name)));
router.get('/v', async (req, res) => res.json(await findUser(req.query.other)));
export default router;`,
      'src/db.ts': `import { Pool } from 'pg';
const pool = new Pool();
export async function findUser(name: string) {
  return pool.query(\`SELECT * FROM users WHERE name = '\${name}'\`);
}`,
    });
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding?.range.file).toBe('src/db.ts');
    expect(finding?.flow[0]?.range.file).toBe('src/routes.ts');
    expect(finding?.flow.some((step) => step.message.includes('findUser() in src/db.ts'))).toBe(true);
  });

  it('follows three files through a re-export barrel and a service class', () => {
    const findings = review({
      'src/routes.ts': `import express from 'express';
import { UserService } from './services';
const app = express();
const service = new UserService();
app.get('/u/:id', async (req, res) => res.json(await service.byName(req.query.name)));`,
      'src/services/index.ts': `export * from './user-service';`,
      'src/services/user-service.ts': `import { rawQuery } from '../repo/raw.js';
export class UserService {
  byName(name: string) { return rawQuery('SELECT * FROM users WHERE name = ' + name); }
}`,
      'src/repo/raw.ts': `import { Pool } from 'pg';
const pool = new Pool();
export const rawQuery = (text: string) => pool.query(text);`,
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]?.range.file).toBe('src/repo/raw.ts');
    expect(findings[0]?.flow[0]?.range.file).toBe('src/routes.ts');
  });

  it('follows CommonJS require, module.exports and exports.x', () => {
    const findings = review({
      'lib/app.js': `const express = require('express');
const { run } = require('./runner');
const files = require('./files.js');
const app = express();
app.post('/run', (req, res) => { run(req.body.cmd); files.read(req.body.path); res.end(); });`,
      'lib/runner.js': `const cp = require('child_process');
exports.run = function (command) { cp.exec(command); };`,
      'lib/files.js': `const fs = require('fs');
function read(p) { return fs.readFileSync(p); }
module.exports = { read };`,
    });
    expect(classes(findings).sort()).toEqual(['command-injection', 'path-traversal']);
  });

  it('analyses an exported handler registered in another file', () => {
    const findings = review({
      'src/controller.ts': `import type { Request, Response } from 'express';
export function greet(req: Request, res: Response) { res.send('<p>' + req.query.name + '</p>'); }
export function show(request: any, reply: any) { reply.redirect(request.query.next); }`,
      'src/routes.ts': `import express from 'express';
import { show } from './controller';
const app = express();
app.get('/show', show);`,
    });
    expect(classes(findings).sort()).toEqual(['open-redirect', 'xss']);
  });
});

describe('framework sources', () => {
  it('Koa', () => {
    expect(classes(review({ 'a.ts': `import Koa from 'koa';
import Router from '@koa/router';
import { exec } from 'child_process';
const router = new Router();
router.get('/x', async (ctx) => { exec(ctx.request.body.cmd); exec(ctx.query.q); exec(ctx.get('x-cmd')); });` }))).toEqual(['command-injection', 'command-injection', 'command-injection']);
  });

  it('Fastify routes, route() options and hooks', () => {
    const findings = review({ 'a.ts': `import Fastify from 'fastify';
import { exec } from 'child_process';
const fastify = Fastify();
fastify.get('/x', async (request, reply) => { exec(request.query.a); });
fastify.route({ method: 'POST', url: '/y', handler: async (request) => { exec(request.body.b); } });
fastify.addHook('preHandler', async (request) => { exec(request.headers['x-c']); });` });
    expect(findings).toHaveLength(3);
  });

  it('Hono, with c.req.valid() counted as validated', () => {
    const findings = review({ 'a.ts': `import { Hono } from 'hono';
import { exec } from 'child_process';
const app = new Hono();
app.post('/x', async (c) => { const body = await c.req.json(); exec(body.cmd); exec(c.req.param('id')); exec(c.req.valid('json').cmd); return c.text('ok'); });` });
    expect(findings.map((finding) => finding.range.start.line)).toEqual([4, 4]);
  });

  it('NestJS decorators and class-validator DTOs', () => {
    const findings = review({ 'a.ts': `import { Body, Controller, Get, Param, Post, Query, Req } from '@nestjs/common';
import { IsInt, IsString } from 'class-validator';
import { exec } from 'child_process';
class RunDto { @IsInt() count!: number; @IsString() name!: string; }
@Controller('x')
export class XController {
  @Get(':id') one(@Param('id') id: string, @Query('q') q: string) { exec(id); exec(q); }
  @Post() run(@Body() dto: RunDto, @Req() req: any) { exec('n ' + dto.count); exec(dto.name); exec(req.body.c); }
}` });
    expect(findings.map((finding) => finding.range.start.line)).toEqual([7, 7, 8, 8]);
  });

  it('Next.js route handlers and pages API', () => {
    const findings = review({
      'app/api/run/route.ts': `import { NextRequest } from 'next/server';
import { exec } from 'child_process';
export async function POST(request: NextRequest) {
  const body = await request.json();
  exec(body.cmd);
  exec(request.nextUrl.searchParams.get('q'));
  return new Response('ok');
}`,
      'pages/api/run.ts': `import { exec } from 'child_process';
export default function handler(req, res) { exec(req.query.cmd); res.end(); }`,
    });
    expect(findings).toHaveLength(3);
  });

  it('node:http, including body chunks', () => {
    const findings = review({ 'a.ts': `import http from 'node:http';
import { exec } from 'child_process';
http.createServer(async (req, res) => {
  exec(req.url);
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => exec(body));
  for await (const chunk of req) exec(String(chunk));
  res.end();
});` });
    expect(findings.map((finding) => finding.range.start.line)).toEqual([4, 7, 8]);
  });

  it('process.argv and process.env are low-confidence sources', () => {
    const findings = review({ 'cli.ts': `import { exec } from 'child_process';
exec('git ' + process.argv[2]);` });
    expect(findings).toHaveLength(1);
    expect(findings[0]?.confidence).toBe('low');
  });
});

describe('robustness', () => {
  it('reports a syntax error as a FileError with a position and reviews the other files', () => {
    const result = reviewSources(
      [
        { file: 'broken.ts', text: 'function (' },
        { file: 'ok.ts', text: "import { exec } from 'child_process';\nexec(process.argv[2]);" },
      ],
      { rules },
    );
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.file).toBe('broken.ts');
    expect(result.errors[0]?.position?.line).toBe(1);
    expect(result.findings).toHaveLength(1);
  });

  it('survives deep nesting and a 5,000-line file', () => {
    const nested = `${'function f() { if (x) { '.repeat(120)}${'} }'.repeat(120)}\nconst y = ${'('.repeat(200)}1${')'.repeat(200)};`;
    const tooDeep = `${'['.repeat(5000)}${']'.repeat(5000)};`;
    const lines = Array.from({ length: 5000 }, (_, index) => `export function f${index}(a: string) { return a + ${index}; }`).join('\n');
    const result = reviewSources(
      [
        { file: 'nested.ts', text: nested },
        { file: 'too-deep.ts', text: tooDeep },
        { file: 'long.ts', text: lines },
      ],
      { rules },
    );
    expect(result.findings).toEqual([]);
    expect(result.errors.map((error) => error.file)).toEqual(['too-deep.ts']);
    expect(result.linesReviewed).toBe(5002);
  });

  it('keeps fingerprints stable when unrelated lines move', () => {
    const body = "app.get('/u', async (req, res) => { res.json(await pool.query('SELECT ' + req.query.q)); });";
    const [before] = review({ 'a.ts': `${EXPRESS}${body}` });
    const [after] = review({ 'a.ts': `${EXPRESS}\n\n// a comment\nconst unrelated = 1;\n${body}` });
    expect(after?.fingerprint).toBe(before?.fingerprint);
    expect(after?.range.start.line).not.toBe(before?.range.start.line);
  });
});
