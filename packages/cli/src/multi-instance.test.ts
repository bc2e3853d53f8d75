/*
 * Two server processes behind one imaginary load balancer: one PostgreSQL, one Redis, the same KEK, different
 * instance ids. Whatever one instance learns — a session, a spent refresh token, a client's request count — the other
 * must honour at once, or a client could play them against each other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = resolve(import.meta.dirname, '../dist/bin.js');
const pgUrl = process.env.RAMPART_TEST_PG_URL;
const redisUrl = process.env.RAMPART_TEST_REDIS_URL;
const skip = pgUrl === undefined || redisUrl === undefined;
const PASSWORD = 'violet kettle marching under cobalt rain';

interface Instance {
  readonly child: ChildProcess;
  readonly url: string;
  readonly dataDir: string;
}

/** A free loopback port (each instance listens on its own; both answer for one public URL). */
function freePort(): Promise<number> {
  return new Promise((settle, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        settle(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  });
}

async function startInstance(id: string, port: number, env: NodeJS.ProcessEnv, root: string): Promise<Instance> {
  const cwd = mkdtempSync(join(root, `${id}-`));
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RAMPART_')));
  const child = spawn(process.execPath, [bin, 'serve'], { cwd, env: { ...clean, ...env, RAMPART_INSTANCE_ID: id, RAMPART_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  for (let waited = 0; waited < 30_000; waited += 50) {
    const match = /listening on (http:\/\/[^\s]+)/.exec(out);
    if (match?.[1] !== undefined) return { child, url: match[1], dataDir: join(cwd, '.rampart') };
    if (child.exitCode !== null) throw new Error(`instance ${id} exited: ${err}`);
    await new Promise((wake) => setTimeout(wake, 50));
  }
  throw new Error(`instance ${id} did not start: ${err}`);
}

async function stop(instance: Instance | undefined): Promise<void> {
  if (instance === undefined || instance.child.exitCode !== null) return;
  const exited = new Promise((done) => instance.child.once('exit', done));
  instance.child.kill('SIGTERM');
  await exited;
}

async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; setCookie: string[] }> {
  const response = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), setCookie: response.headers.getSetCookie() };
}

/** The verification token mailed to `email`, from whichever instance's development mailbox delivered it. */
async function verificationToken(instances: readonly Instance[], email: string): Promise<string> {
  for (let waited = 0; waited < 10_000; waited += 100) {
    for (const { dataDir } of instances) {
      const file = join(dataDir, 'mailbox.jsonl');
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line === '') continue;
        const mail = JSON.parse(line) as { to: string; text: string };
        const token = /verify-email#token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
        if (mail.to === email && token !== undefined) return token;
      }
    }
    await new Promise((wake) => setTimeout(wake, 100));
  }
  throw new Error(`no verification mail for ${email}`);
}

describe.skipIf(skip)('two instances on one PostgreSQL and one Redis (needs RAMPART_TEST_PG_URL and RAMPART_TEST_REDIS_URL)', () => {
  const root = mkdtempSync(join(tmpdir(), 'rampart-pair-'));
  const schema = `rampart_pair_${process.pid}_${Date.now()}`;
  const admin = new pg.Pool({ connectionString: pgUrl, max: 1 });
  let a: Instance | undefined;
  let b: Instance | undefined;
  // The address users reach both instances at (the load balancer's): the origin browsers send, the CSRF guard admits.
  let publicOrigin = '';

  beforeAll(async () => {
    await admin.query(`CREATE SCHEMA "${schema}"`);
    const url = new URL(pgUrl ?? '');
    url.searchParams.set('options', `-c search_path=${schema}`);
    const [portA, portB] = [await freePort(), await freePort()];
    publicOrigin = `http://localhost:${portA}`;
    const env = {
      RAMPART_PUBLIC_URL: publicOrigin,
      RAMPART_DATABASE_URL: url.toString(),
      RAMPART_REDIS_URL: redisUrl ?? '',
      RAMPART_REDIS_KEY_PREFIX: `pair-${process.pid}-${Date.now().toString(36)}`,
      RAMPART_KEK: 'e'.repeat(64),
      RAMPART_LOG_LEVEL: 'warn',
    };
    // Started one after the other: the first migrates, the second finds the schema current.
    a = await startInstance('a', portA, env, root);
    b = await startInstance('b', portB, env, root);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([stop(a), stop(b)]);
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
    rmSync(root, { recursive: true, force: true });
  });

  async function verifiedUser(email: string): Promise<void> {
    const [first, second] = [a as Instance, b as Instance];
    expect((await post(first.url, '/v1/accounts', { email, password: PASSWORD })).status).toBe(202);
    const token = await verificationToken([first, second], email);
    // Verified through the other instance: one-time tokens live in the shared database.
    expect((await post(second.url, '/v1/accounts/verify-email', { token })).status).toBe(200);
  }

  it('a session made on one instance is honoured, and its logout enforced, on the other', async () => {
    const [first, second] = [a as Instance, b as Instance];
    await verifiedUser('pair-session@example.test');
    const login = await post(first.url, '/v1/login', { email: 'pair-session@example.test', password: PASSWORD });
    expect(login.status).toBe(200);
    const cookie = login.setCookie.map((line) => line.split(';')[0]).find((pair) => pair?.startsWith('__Host-rampart_session=')) ?? '';
    expect(cookie).not.toBe('');
    const onSecond = await fetch(`${second.url}/v1/identity`, { headers: { cookie } });
    expect(onSecond.status).toBe(200);
    expect(((await onSecond.json()) as { source: string }).source).toBe('session');
    // Logout needs the session's CSRF token: fetched from the second instance (same key ring), used there.
    const csrf = await fetch(`${second.url}/v1/csrf`, { headers: { cookie } });
    const csrfCookie = csrf.headers.getSetCookie().map((line) => line.split(';')[0]).find((pair) => pair?.startsWith('__Host-csrf=')) ?? '';
    const { token } = (await csrf.json()) as { token: string };
    const logout = await fetch(`${second.url}/v1/logout`, { method: 'POST', headers: { cookie: `${cookie}; ${csrfCookie}`, origin: publicOrigin, 'x-csrf-token': token } });
    expect(logout.status).toBe(204);
    expect((await fetch(`${first.url}/v1/identity`, { headers: { cookie } })).status).toBe(401);
  });

  it('a refresh token rotated on one instance and replayed on the other revokes the family everywhere', async () => {
    const [first, second] = [a as Instance, b as Instance];
    await verifiedUser('pair-refresh@example.test');
    const login = await post(first.url, '/v1/login', { email: 'pair-refresh@example.test', password: PASSWORD, delivery: 'tokens' });
    expect(login.status).toBe(200);
    const original = login.body.refresh_token as string;
    const rotated = await post(second.url, '/v1/token', { grant_type: 'refresh_token', refresh_token: original });
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.refresh_token as string;
    // The access token minted on the second instance verifies on the first (shared signing keys).
    expect((await fetch(`${first.url}/v1/identity`, { headers: { authorization: `Bearer ${rotated.body.access_token as string}` } })).status).toBe(200);
    // Replay of the spent token after the grace window, on the first instance: the whole family dies.
    await new Promise((wake) => setTimeout(wake, 5_500)); // core's default grace window is 5 s
    const replay = await post(first.url, '/v1/token', { grant_type: 'refresh_token', refresh_token: original });
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    const afterReuse = await post(second.url, '/v1/token', { grant_type: 'refresh_token', refresh_token: fresh });
    expect(afterReuse.status).toBe(400);
    expect(afterReuse.body.error).toBe('invalid_grant');
  });

  it('rate limits are counted once across both instances', async () => {
    const [first, second] = [a as Instance, b as Instance];
    // The account routes allow 30 requests per client per 10 minutes; alternating instances must not double that.
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) {
      const target = i % 2 === 0 ? first : second;
      statuses.push((await post(target.url, '/v1/password/reset', { email: `nobody-${i}@example.test` })).status);
    }
    // Earlier tests in this file spent part of the budget already: the refusal comes at the 31st request or before.
    expect(statuses).toContain(429);
    expect(statuses.filter((status) => status === 202).length).toBeLessThanOrEqual(30);
    const afterwards = await post(first.url, '/v1/password/reset', { email: 'later@example.test' });
    expect(afterwards.status).toBe(429);
  });
});
