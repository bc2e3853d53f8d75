import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verify, SqliteAuditStore } from '@rampart/core/audit';
import { securityEvent } from '@rampart/core';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createServer } from './app.js';
import { auditPublicKeys, openAuditTrails } from './audit-trail.js';
import { loadConfig, type ServerConfig } from './config/config.js';
import { ServerConfigError } from './config/errors.js';
import { developmentKek, ensureDataDir } from './data-dir.js';
import { KNOWN_MIGRATIONS, MigrationError } from './db/migrations.js';

const root = mkdtempSync(join(tmpdir(), 'rampart-server-'));
const pgUrl = process.env.RAMPART_TEST_PG_URL;
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function settings(env: NodeJS.ProcessEnv = {}): ServerConfig {
  const cwd = mkdtempSync(join(root, 's'));
  const config = loadConfig({ env: { RAMPART_PORT: '0', RAMPART_LOG_LEVEL: 'warn', ...env }, cwd });
  ensureDataDir(config.dataDir);
  return config;
}

describe('data directory and development key', () => {
  it('creates the directory owner-only and the key 0600, reuses it, and refuses loose permissions', () => {
    const config = settings();
    expect(statSync(config.dataDir).mode & 0o777).toBe(0o700);
    const first = developmentKek(config.dataDir);
    expect(first.created).toBe(true);
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    const again = developmentKek(config.dataDir);
    expect(again.created).toBe(false);
    expect(again.key.equals(first.key)).toBe(true);
    chmodSync(first.path, 0o644);
    expect(() => developmentKek(config.dataDir)).toThrow(ServerConfigError);
    chmodSync(config.dataDir, 0o755);
    expect(() => { ensureDataDir(config.dataDir); }).toThrow(/chmod 700/);
  });
});

describe('the server on SQLite', () => {
  it('answers /livez and /readyz with the API security headers, refuses an oversized body, and shuts down with a signed checkpoint', async () => {
    const config = settings();
    const notices: string[] = [];
    const server = await createServer(config, { notify: (notice) => notices.push(notice.kind) });
    // A first start on an empty database also creates the first administrator (its one-time password told once).
    expect(notices).toEqual(['dev-kek-created', 'admin-created']);
    const url = await server.listen();
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'sqlite' });
    expect(ready.headers.get('x-content-type-options')).toBe('nosniff');
    expect(ready.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect((await fetch(`${url}/livez`)).status).toBe(200);
    const big = await fetch(`${url}/livez`, { method: 'POST', body: 'x'.repeat(100_000), headers: { 'content-type': 'application/json' } });
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toContain('application/problem+json');

    server.events(securityEvent('session.revoked', 'user-1', { reason: 'test' }));
    await server.close();
    await server.close(); // idempotent
    const store = new SqliteAuditStore(join(config.dataDir, 'audit.db'));
    expect(await verify(store, { publicKey: auditPublicKeys(developmentKek(config.dataDir).key) })).toMatchObject({ ok: true, checkpoints: 1 });
    // What a first start records (the CSRF guard's documented loosening and the detector's note of it, the first
    // signing key, the first administrator), then the refused body through the guard chain, then the control's event.
    const types: string[] = [];
    for await (const page of store.pages()) for (const row of page) types.push((JSON.parse(row.canonical) as { event: { type: string } }).event.type);
    expect(types).toEqual(expect.arrayContaining(['config.loosened', 'detect.alert', 'token.signing_key.rotated', 'account.created', 'authz.role.granted']));
    expect(types.slice(-2)).toEqual(['http.body.refused', 'session.revoked']);
    await store.close();
  });

  it('is not ready when the database stops answering', async () => {
    const server = await createServer(settings());
    const url = await server.listen();
    await server.database.close();
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 503, title: 'Not ready' });
    await server.app.close();
    await server.events.close();
  });

  it('restarts on its own data with the same checkpoint key, and refuses a database a newer version migrated', async () => {
    const config = settings();
    const first = await createServer(config);
    await first.close();
    const second = await createServer(config, { notify: () => undefined });
    await second.close();
    const store = new SqliteAuditStore(join(config.dataDir, 'audit.db'));
    expect(await verify(store, { publicKey: auditPublicKeys(developmentKek(config.dataDir).key) })).toMatchObject({ ok: true, checkpoints: 2 });
    await store.close();
    const db = new Database(join(config.dataDir, 'rampart.db'));
    db.prepare("INSERT INTO rampart_migrations (name, timestamp) VALUES ('9999_from_the_future', '2030-01-01T00:00:00.000Z')").run();
    db.close();
    await expect(createServer(config)).rejects.toBeInstanceOf(MigrationError);
  });

  it('uses RAMPART_KEK when given, and writes no development key', async () => {
    const config = settings({ RAMPART_KEK: 'b'.repeat(64) });
    const notices: string[] = [];
    const server = await createServer(config, { notify: (notice) => notices.push(notice.kind) });
    await server.close();
    expect(notices).toEqual(['admin-created']);
    expect(() => statSync(join(config.dataDir, 'dev-kek.key'))).toThrow();
    writeFileSync(join(root, 'unused'), '');
  });
});

describe('accounts through the server', () => {
  it('registers, mails a verification link (the development mailbox), verifies once, and answers 404 without echoing the URL', async () => {
    const lines: string[] = [];
    const config = settings({ RAMPART_LOG_LEVEL: 'info' });
    const server = await createServer(config, { notify: () => undefined, logDestination: { write: (line) => lines.push(line) } });
    const url = await server.listen();
    const register = await fetch(`${url}/v1/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'newcomer@example.com', password: 'correct horse battery staple 42' }),
    });
    expect(register.status).toBe(202);
    await server.accounts.outbox.idle();
    // The development mailbox, owner-only; the link never reaches the logs.
    const mailbox = join(config.dataDir, 'mailbox.jsonl');
    expect(statSync(mailbox).mode & 0o777).toBe(0o600);
    const token = /verify-email#token=([A-Za-z0-9_-]+)/.exec(readFileSync(mailbox, 'utf8'))?.[1];
    expect(token).toBeDefined();
    expect(lines.join('\n')).not.toContain(token);
    const verify = (body: unknown) => fetch(`${url}/v1/accounts/verify-email`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await verify({ token })).status).toBe(200);
    expect((await verify({ token })).status).toBe(400);
    const missing = await fetch(`${url}/no/such/route?token=secret-in-query`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(await missing.text()).not.toContain('secret-in-query');
    await server.close();
  });
});

describe.skipIf(pgUrl === undefined)('the server on PostgreSQL (needs RAMPART_TEST_PG_URL)', () => {
  const schema = `rampart_server_${process.pid}_${Date.now()}`;
  const admin = new pg.Pool({ connectionString: pgUrl, max: 1 });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('migrates, answers /readyz and keeps its audit trail in PostgreSQL', async () => {
    await admin.query(`CREATE SCHEMA "${schema}"`);
    const url = new URL(pgUrl as string);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const config = settings({ RAMPART_DATABASE_URL: url.toString(), RAMPART_KEK: 'c'.repeat(64) });
    const server = await createServer(config);
    const base = await server.listen();
    const ready = await fetch(`${base}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'postgres' });
    server.events(securityEvent('session.revoked', 'user-1', { reason: 'test' }));
    await server.close();
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".rampart_audit_entries WHERE canonical LIKE '%"session.revoked"%'`);
    expect(rows[0]).toEqual({ n: 1 });
    const migrations = await admin.query(`SELECT name FROM "${schema}".rampart_migrations`);
    expect(migrations.rows.map((row: { name: string }) => row.name).sort()).toEqual(KNOWN_MIGRATIONS);
  });
});

describe.skipIf(pgUrl === undefined)('several instances on one PostgreSQL (needs RAMPART_TEST_PG_URL)', () => {
  const schema = `rampart_instances_${process.pid}_${Date.now()}`;
  const admin = new pg.Pool({ connectionString: pgUrl, max: 1 });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('each instance writes its own verifiable trail; a second process with the same instance id does not start', async () => {
    await admin.query(`CREATE SCHEMA "${schema}"`);
    const url = new URL(pgUrl as string);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const kek = 'd'.repeat(64);
    const env = { RAMPART_DATABASE_URL: url.toString(), RAMPART_KEK: kek, RAMPART_SHUTDOWN_GRACE_MS: '100' };
    const first = await createServer(settings(env));
    const second = await createServer(settings({ ...env, RAMPART_INSTANCE_ID: 'b' }));
    // The same instance id as a running server: it waits for the writer lock (grace + 5 s), then gives up.
    await expect(createServer(settings({ ...env, RAMPART_INSTANCE_ID: 'b' }))).rejects.toThrow();
    first.events(securityEvent('session.revoked', 'user-1', { reason: 'on-a' }));
    second.events(securityEvent('session.revoked', 'user-2', { reason: 'on-b' }));
    await Promise.all([first.close(), second.close()]);
    const reader = new pg.Pool({ connectionString: url.toString(), max: 2 });
    const trails = await openAuditTrails(settings(env), reader);
    try {
      expect(trails.map((trail) => trail.instanceId)).toEqual(['b', 'main']);
      for (const { store } of trails) {
        const result = await verify(store, { publicKey: auditPublicKeys(Buffer.from(kek, 'hex')) });
        expect(result).toMatchObject({ ok: true });
      }
    } finally {
      for (const { store } of trails) await store.close();
      await reader.end();
    }
    const b = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".rampart_audit_b_entries WHERE canonical LIKE '%on-b%'`);
    expect(b.rows[0]).toEqual({ n: 1 });
    const main = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".rampart_audit_entries WHERE canonical LIKE '%on-b%'`);
    expect(main.rows[0]).toEqual({ n: 0 });
  });
});

describe('the server with Redis', () => {
  const redisUrl = process.env.RAMPART_TEST_REDIS_URL;
  it.skipIf(redisUrl === undefined)('reports Redis in /readyz and counts rate limits there (needs RAMPART_TEST_REDIS_URL)', async () => {
    const prefix = `ready-${process.pid}-${Date.now().toString(36)}`;
    const server = await createServer(settings({ RAMPART_REDIS_URL: redisUrl ?? '', RAMPART_REDIS_KEY_PREFIX: prefix }));
    const url = await server.listen();
    try {
      const ready = await fetch(`${url}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready', database: 'sqlite', redis: 'ok' });
      const reset = await fetch(`${url}/v1/password/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'someone@example.test' }) });
      expect(reset.status).toBe(202);
      const { Redis } = await import('ioredis');
      const probe = new Redis(redisUrl ?? '');
      try {
        expect((await probe.keys(`${prefix}:rl*`)).length).toBeGreaterThan(0);
      } finally {
        probe.disconnect();
      }
    } finally {
      await server.close();
    }
  });

  it('refuses to start when the configured Redis does not answer', async () => {
    await expect(createServer(settings({ RAMPART_REDIS_URL: 'redis://127.0.0.1:1' }))).rejects.toThrow(/cannot reach Redis/);
  });
});
