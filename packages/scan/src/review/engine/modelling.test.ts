/**
 * The modelling behind the engine's accuracy, one idiom per test: each shows the vulnerable form found and the safe
 * form (or the look-alike that is not a flaw) left alone, on code written for the test.
 */
import { describe, expect, it } from 'vitest';
import { reviewFiles as review } from './engine.fixtures.js';

/** `class line` of every finding, e.g. `sql-injection 7`. */
function found(files: Record<string, string>): string[] {
  return review(files).map((finding) => `${finding.class} ${String(finding.range.start.line)}`);
}

describe('frameworks and entry points', () => {
  it('registers routes on a router passed in as a parameter (a Fastify plugin)', () => {
    const plugin = (query: string): string => `import type { FastifyInstance } from 'fastify';
import { Pool } from 'pg';
const pool = new Pool();
export async function routes(app: FastifyInstance) {
  app.get('/u', async (request) => pool.query(${query}));
}`;
    expect(found({ 'plugin.ts': plugin("'SELECT * FROM u WHERE id = ' + (request.query as { id: string }).id") })).toEqual(['sql-injection 5']);
    expect(found({ 'plugin.ts': plugin("'SELECT * FROM u WHERE id = $1', [(request.query as { id: string }).id]") })).toEqual([]);
  });

  it('treats an exported (req, res) function as a handler registered elsewhere, but not other signatures', () => {
    const handler = (params: string): string => `import { execSync } from 'node:child_process';
export function archive(${params}) {
  execSync('tar czf /tmp/out.tgz ' + req.body.name);
}`;
    expect(found({ 'handler.js': handler('req, res') })).toEqual(['command-injection 3']);
    expect(found({ 'handler.js': handler('req, options') })).toEqual([]);
  });

  it('reads the request body through stream consumers (text(req))', () => {
    const server = (parse: string): string => `import { createServer } from 'node:http';
import { text } from 'node:stream/consumers';
createServer(async (req, res) => {
  const code = await text(req);
  ${parse}
  res.end();
});`;
    expect(found({ 'server.mjs': server('eval(code);') })).toEqual(['code-injection 5']);
    expect(found({ 'server.mjs': server('JSON.parse(code);') })).toEqual([]);
  });

  it('follows require made by createRequire in an ES module', () => {
    const files = {
      'lib/run.cjs': "const cp = require('child_process');\nmodule.exports = { run: (cmd) => cp.execSync(cmd) };",
      'route.mjs': `import express from 'express';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { run } = require('./lib/run.cjs');
const app = express();
app.post('/run', (req, res) => res.json(run(req.body.cmd)));`,
    };
    expect(found(files)).toEqual(['command-injection 2']);
  });

  it('treats a NestJS route method’s return value as the response body, HTML only when declared or marked up', () => {
    const controller = (header: string, body: string): string => `import { Controller, Get, Header, Query } from '@nestjs/common';
@Controller('greet')
export class GreetController {
  @Get()
  @Header('content-type', '${header}')
  greet(@Query('name') name: string) {
    return ${body};
  }
}`;
    expect(found({ 'greet.controller.ts': controller('text/html', '`<p>Hello ${name}</p>`') })).toEqual(['xss 7']);
    expect(found({ 'greet.controller.ts': controller('text/xml', '`<greeting>${name}</greeting>`') })).toEqual([]);
    expect(found({ 'greet.controller.ts': controller('text/html', 'String(name.length)') })).toEqual([]);
  });

  it('finds dangerouslySetInnerHTML in server-rendered JSX, not escaped text children', () => {
    const page = (jsx: string): string => `import type { Request, Response } from 'express';
import { renderToStaticMarkup } from 'react-dom/server';
export function page(req: Request, res: Response) {
  const bio = String(req.query.bio ?? '');
  res.type('html').send(renderToStaticMarkup(${jsx}));
}`;
    expect(found({ 'page.tsx': page('<div dangerouslySetInnerHTML={{ __html: bio }} />') })).toEqual(['xss 5']);
    expect(found({ 'page.tsx': page('<div className="bio">{bio}</div>') })).toEqual([]);
  });

  it('does not treat a response with a computed content type as HTML', () => {
    const proxy = (type: string): string => `import express from 'express';
const app = express();
app.get('/img', async (req, res) => {
  const upstream = await fetch('https://cdn.example.com/' + encodeURIComponent(String(req.query.name)));
  ${type}
  res.send(await upstream.text() + String(req.query.name));
});`;
    expect(found({ 'proxy.ts': proxy("res.type(upstream.headers.get('content-type') ?? 'application/octet-stream');") })).toEqual([]);
    expect(found({ 'proxy.ts': proxy("res.type('html');") })).toEqual(['xss 6']);
  });
});

describe('libraries', () => {
  it('sees through util.promisify and runs callbacks given to libraries in place', () => {
    const code = (command: string): string => `import express from 'express';
import { exec } from 'node:child_process';
import { promisify } from 'node:util';
const run = promisify(exec);
function count(name: string) {
  return new Promise((resolve) => exec(${command}, (error, out) => resolve(out)));
}
const app = express();
app.post('/a', async (req, res) => { await run('ls ' + req.body.dir); res.json(await count(req.body.name)); });`;
    expect(found({ 'app.ts': code('`wc -c ${name}`') })).toEqual(['command-injection 6', 'command-injection 9']);
    expect(found({ 'app.ts': code("'wc -c /srv/fixed.txt'") })).toEqual(['command-injection 9']);
  });

  it('looks inside array literals for NoSQL operators (aggregation pipelines) and mingo criteria', () => {
    const code = (match: string): string => `import express from 'express';
import { find } from 'mingo';
import { Order } from './models/order.js';
const app = express();
app.get('/stats', async (req, res) => {
  const match = ${match};
  res.json(await Order.aggregate([{ $match: match }, { $group: { _id: '$status' } }]));
  res.json(find([], { owner: req.body.owner }).all());
});`;
    expect(found({ 'app.ts': code("JSON.parse(String(req.query.match ?? '{}'))") })).toEqual(['nosql-injection 7', 'nosql-injection 8']);
    expect(found({ 'app.ts': code('{ status: String(req.query.status) }') })).toEqual(['nosql-injection 8']);
  });

  it('does not read a string filter as a $where clause', () => {
    const code = `import express from 'express';
import { Page } from './models/page.js';
const app = express();
app.get('/p/:slug', async (req, res) => res.json(await Page.find(req.params.slug)));`;
    expect(found({ 'app.ts': code })).toEqual([]);
  });

  it('knows prepared statements take parameters, not SQL text', () => {
    const code = (call: string): string => `import Database from 'better-sqlite3';
import { Hono } from 'hono';
const db = new Database('app.db');
const app = new Hono();
app.get('/t', (c) => c.json(${call}));`;
    expect(found({ 'app.ts': code("db.prepare('SELECT * FROM t WHERE tag = ?').all(c.req.query('tag'))") })).toEqual([]);
    expect(found({ 'app.ts': code("db.prepare(`SELECT * FROM t WHERE tag = '${c.req.query('tag')}'`).all()") })).toEqual(['sql-injection 5']);
  });

  it('finds LDAP filters parsed from text and host options of http.request', () => {
    const code = `import http from 'node:http';
import ldap from 'ldap-filter';
http.createServer((req, res) => {
  const params = new URL(req.url ?? '/', 'http://x').searchParams;
  ldap.parse('(uid=' + params.get('uid') + ')');
  http.request({ host: params.get('host'), path: '/health' }).end();
  http.request({ host: 'billing.internal', path: '/health?q=' + params.get('q') }).end();
  res.end();
});`;
    expect(found({ 'app.js': code })).toEqual(['ldap-injection 5', 'ssrf 6']);
  });
});

describe('sanitizers and guards', () => {
  it('accepts hand-written escaping by what it replaces, and adds up every class one replace escapes', () => {
    const code = (escape: string): string => `import express from 'express';
import ldapjs from 'ldapjs';
const client = ldapjs.createClient({ url: 'ldap://x' });
const app = express();
app.get('/s', (req, res) => {
  const value = String(req.query.q).replace(${escape}, (ch) => '\\\\' + ch.charCodeAt(0).toString(16));
  client.search('dc=x', { filter: '(cn=' + value + ')' }, () => undefined);
  res.json({ pattern: new RegExp(value).source });
});`;
    expect(found({ 'app.ts': code('/[.*+?^${}()|[\\]\\\\]/g') })).toEqual([]);
    expect(found({ 'app.ts': code('/[.+?^${}|]/g') })).toEqual(['ldap-injection 7', 'redos 8']);
    const html = (escape: string): string => `import { createServer } from 'node:http';
createServer((req, res) => {
  const msg = String(new URL(req.url ?? '/', 'http://x').searchParams.get('m'))${escape};
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<p>' + msg + '</p>');
});`;
    expect(found({ 'app.js': html(".replace(/[&<>\"']/g, (ch) => `&#${ch.charCodeAt(0)};`)") })).toEqual([]);
    expect(found({ 'app.js': html(".replace(/[&\"']/g, '')") })).toEqual(['xss 5']);
  });

  it('counts hono/html’s html tag as escaping and knows sanitizers of unreviewed files by name', () => {
    const hono = (tag: string): string => `import { Hono } from 'hono';
import { html } from 'hono/html';
const app = new Hono();
app.get('/p', (c) => c.html(${tag}\`<b>\${c.req.query('t')}</b>\`));`;
    expect(found({ 'app.tsx': hono('html') })).toEqual([]);
    expect(found({ 'app.tsx': hono('String.raw') })).toEqual(['xss 4']);
    const ldap = (name: string): string => `import http from 'node:http';
import ldapjs from 'ldapjs';
import { ${name} } from './ldap-helpers.js';
const client = ldapjs.createClient({ url: 'ldap://x' });
http.createServer((req, res) => {
  client.search('dc=x', { filter: '(cn=' + ${name}(String(req.headers['x-name'])) + ')' }, () => res.end());
});`;
    expect(found({ 'app.js': ldap('escapeFilterValue') })).toEqual([]);
    expect(found({ 'app.js': ldap('normalizeName') })).toEqual(['ldap-injection 6']);
  });

  it('reads guards: constants by name, own keys, URL hosts, boolean aliases and exiting ctx.throw()', () => {
    const ssrf = (check: string): string => `import { NextRequest } from 'next/server';
const CDN = 'https://cdn.example.com';
export async function GET(request: NextRequest) {
  const url = new URL(request.nextUrl.searchParams.get('src') ?? '', CDN);
  ${check}
  return new Response((await fetch(url)).body);
}`;
    expect(found({ 'app/api/og/route.ts': ssrf("if (url.origin !== CDN) return new Response('no', { status: 400 });") })).toEqual([]);
    expect(found({ 'app/api/og/route.ts': ssrf("if (url.protocol !== 'https:') return new Response('no', { status: 400 });") })).toEqual(['ssrf 6']);
    const hosts = (check: string): string => `import { Hono } from 'hono';
const PARTNERS = new Set(['docs.example.com']);
const app = new Hono();
app.get('/out', (c) => {
  const url = c.req.query('url') ?? '/';
  if (${check}) return c.redirect('/');
  return c.redirect(url);
});`;
    expect(found({ 'app.ts': hosts('!URL.canParse(url) || !PARTNERS.has(new URL(url).hostname)') })).toEqual([]);
    expect(found({ 'app.ts': hosts('!URL.canParse(url)') })).toEqual(['open-redirect 7']);
    const koa = (check: string): string => `import type { Context } from 'koa';
import { createReadStream } from 'node:fs';
import path from 'node:path';
const ROOT = path.resolve('public');
export function file(ctx: Context) {
  const target = path.resolve(ROOT, ctx.params.file);
  ${check}
  ctx.body = createReadStream(target);
}`;
    expect(found({ 'file.ts': koa('if (!target.startsWith(ROOT + path.sep)) ctx.throw(404);') })).toEqual([]);
    expect(found({ 'file.ts': koa('const inside = target.startsWith(ROOT + path.sep);\n  if (!inside) ctx.status = 404;') })).toEqual(['path-traversal 9']);
    expect(found({ 'file.ts': koa('const inside = target.startsWith(ROOT + path.sep);\n  if (!inside) return;') })).toEqual([]);
  });

  it('accepts a local-path redirect only when both //host and /\\host are refused', () => {
    const code = (check: string): string => `import type { Request, Response } from 'express';
export function login(req: Request, res: Response) {
  const next = String(req.query.next ?? '/');
  const local = ${check};
  res.redirect(local ? next : '/');
}`;
    expect(found({ 'login.ts': code("next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\\\')") })).toEqual([]);
    expect(found({ 'login.ts': code("next.startsWith('/') && !next.startsWith('//')") })).toEqual(['open-redirect 5']);
  });

  it('narrows by what an anchored character class allows', () => {
    const code = (sink: string): string => `import express from 'express';
import { readFileSync } from 'node:fs';
const app = express();
app.get('/calc', (req, res) => {
  const expression = String(req.query.q);
  if (!/^[\\d+\\-*/(). ]{1,100}$/.test(expression)) return res.status(400).end();
  res.json(${sink});
});`;
    expect(found({ 'app.ts': code('Function(`return (${expression});`)()') })).toEqual([]);
    expect(found({ 'app.ts': code("readFileSync('/srv/data/' + expression, 'utf8')") })).toEqual(['path-traversal 7']);
  });

  it('resolves a URL against the request’s own URL without making the base a redirect risk', () => {
    const code = (target: string): string => `import { NextRequest, NextResponse } from 'next/server';
export function GET(request: NextRequest) {
  const to = request.nextUrl.searchParams.get('to') ?? '/';
  return NextResponse.redirect(new URL(${target}, request.url));
}`;
    expect(found({ 'app/go/route.ts': code("'/dashboard'") })).toEqual([]);
    expect(found({ 'app/go/route.ts': code('to') })).toEqual(['open-redirect 4']);
  });
});

describe('prototype pollution', () => {
  it('follows objects reached with attacker keys, not conditional or constant writes', () => {
    const setter = (guard: string): string => `import type { FastifyInstance } from 'fastify';
function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  ${guard}
  let node = obj;
  for (const part of parts.slice(0, -1)) {
    node[part] ??= {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}
export async function routes(app: FastifyInstance) {
  app.put('/prefs', async (request) => {
    const { path, value } = request.body as { path: string; value: unknown };
    setPath({}, path, value);
  });
}`;
    expect(found({ 'prefs.ts': setter('') })).toEqual(['prototype-pollution 10']);
    expect(found({ 'prefs.ts': setter("if (parts.some((p) => p === '__proto__' || p === 'constructor' || p === 'prototype')) throw new Error('bad');") })).toEqual([]);
  });

  it('reports the value write of a recursive merge, honours deny-lists in a Set and own-key checks', () => {
    const merge = (guard: string): string => `import express from 'express';
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
function merge(target: any, source: any): any {
  for (const key of Object.keys(source)) {
    ${guard}
    if (typeof source[key] === 'object') {
      target[key] ??= {};
      merge(target[key], source[key]);
    } else {
      target[key] = source[key];
    }
  }
  return target;
}
const app = express();
app.put('/s', express.json(), (req, res) => res.json(merge({}, req.body)));`;
    expect(found({ 'merge.ts': merge('') })).toEqual(['prototype-pollution 10']);
    expect(found({ 'merge.ts': merge('if (FORBIDDEN.has(key)) continue;') })).toEqual([]);
    const flags = (guard: string): string => `import type { Context } from 'koa';
const flags: Record<string, Record<string, boolean>> = { checkout: {} };
export function setFlag(ctx: Context) {
  const { section, key } = ctx.request.body as { section: string; key: string };
  ${guard}
  flags[section][key] = true;
}`;
    expect(found({ 'flags.ts': flags('') })).toEqual(['prototype-pollution 6']);
    expect(found({ 'flags.ts': flags("if (!Object.hasOwn(flags, section)) ctx.throw(400, 'unknown');") })).toEqual([]);
  });

  it('takes regex captures from the matched string and knows Object.create(null) has no prototype', () => {
    const parser = (create: string): string => `import { createServer } from 'node:http';
createServer((req, res) => {
  const out: Record<string, any> = ${create};
  for (const [name, v] of new URLSearchParams(new URL(req.url ?? '/', 'http://x').search)) {
    const m = /^(\\w+)\\[(\\w+)\\]$/.exec(name);
    if (!m) continue;
    out[m[1]!] ??= ${create};
    out[m[1]!][m[2]!] = v;
  }
  res.end(JSON.stringify(out));
});`;
    expect(found({ 'q.ts': parser('{}') })).toEqual(['prototype-pollution 8']);
    expect(found({ 'q.ts': parser('Object.create(null)') })).toEqual([]);
  });
});

describe('sources', () => {
  it('does not count operator configuration (env, argv) as path, SSRF or log input', () => {
    const code = `import { readFileSync } from 'node:fs';
const key = readFileSync(process.env.KEY_PATH ?? 'key.pem');
process.stdout.write('listening on ' + process.env.HOST + '\\n');
export const health = fetch(process.env.HEALTH_URL ?? 'http://localhost/health');
export { key };`;
    expect(found({ 'config.ts': code })).toEqual([]);
  });

  it('knows the raw request URL cannot forge a log line until it is decoded', () => {
    const code = (value: string): string => `import { createServer } from 'node:http';
createServer((req, res) => {
  process.stdout.write(\`\${new Date().toISOString()} \${${value}}\\n\`);
  res.end();
});`;
    expect(found({ 'log.js': code('req.url') })).toEqual([]);
    expect(found({ 'log.js': code("new URL(req.url ?? '/', 'http://x').searchParams.get('a')") })).toEqual(['log-injection 3']);
    expect(found({ 'log.js': code("decodeURIComponent(req.url ?? '')") })).toEqual(['log-injection 3']);
  });

  it('treats rows read back from a database as stored input for HTML only', () => {
    const code = (render: string): string => `import express from 'express';
import Database from 'better-sqlite3';
import { exec } from 'node:child_process';
const db = new Database('shop.db');
const app = express();
app.get('/reviews', (req, res) => {
  const rows = db.prepare('SELECT text FROM reviews').all() as { text: string }[];
  exec('echo ' + rows.length);
  res.type('html').send(rows.map((row) => \`<li>\${${render}}</li>\`).join(''));
});`;
    expect(found({ 'app.ts': code('row.text') })).toEqual(['xss 9']);
    expect(found({ 'app.ts': code("row.text.replace(/[<>]/g, '')") })).toEqual([]);
  });
});

describe('mass assignment', () => {
  it('finds the whole body spread over a stored record and application model classes built from it', () => {
    const code = (update: string): string => `import express from 'express';
import { Project } from './models/project.js';
import { loadUser, saveUser } from './db.js';
const app = express();
app.patch('/me', express.json(), async (req, res) => {
  const user = await loadUser(req.params.id);
  await saveUser(${update});
  res.json(new Project({ owner: user.id, ...req.body }));
});`;
    expect(found({ 'app.ts': code('{ ...user, ...req.body }') })).toEqual(['mass-assignment 7', 'mass-assignment 8']);
    expect(found({ 'app.ts': code('{ ...user, email: String(req.body.email) }') })).toEqual(['mass-assignment 8']);
  });
});

describe('configuration checks', () => {
  it('reports an option-level misconfiguration on the option, a missing one on the call', () => {
    const code = `import express from 'express';
import session from 'express-session';
const app = express();
app.use(
  session({
    secret: process.env.SECRET!,
    cookie: { secure: false, httpOnly: true },
  }),
);
app.use(session({ secret: process.env.SECRET! }));`;
    expect(found({ 'app.ts': code })).toEqual(['insecure-cookie 7', 'insecure-cookie 10']);
  });

  it('finds claims of a decoded, unverified token in use', () => {
    const decode = (read: string): string => `import { decode } from 'hono/jwt';
export function tenantOf(token: string): string {
  const { payload } = decode(token);
  return ${read};
}`;
    expect(found({ 'claims.ts': decode('String(payload.org_id)') })).toEqual(['jwt-misuse 3']);
    expect(found({ 'claims.ts': decode("'fixed'") })).toEqual([]);
  });

  it('reads the first X-Forwarded-For entry as a spoofable client address, not the last one', () => {
    const code = (pick: string): string => `import { createServer } from 'node:http';
createServer((req, res) => {
  const clientIp = String(req.headers['x-forwarded-for'] ?? '').split(',')${pick}.trim();
  res.end(clientIp);
});`;
    expect(found({ 'ip.ts': code('[0]') })).toEqual(['trust-proxy 3']);
    expect(found({ 'ip.ts': code('.at(-1)!') })).toEqual([]);
  });

  it('does not take a placeholder in a credential format for a credential', () => {
    const code = (token: string): string => `export const SLACK_TOKEN = process.env.SLACK_TOKEN ?? '${token}';`;
    expect(found({ 'notify.ts': code('xoxb-your-token-here') })).toEqual([]);
    expect(new Set(found({ 'notify.ts': code('xoxb-774369359686-1718574686211-csMg4C2ayfrY72p9XvH4s7tB') }))).toEqual(new Set(['hardcoded-secret 1']));
  });
});
