/*
 * The first administrator: created once per database with a one-time password that reaches the operator's terminal
 * (the `notify` callback) and nothing else — not the JSON logs, not the audit trail — and that must be changed before
 * the account can do anything else. Two processes starting together create exactly one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@rampart/core';
import { createPasswordHasher } from '@rampart/core/password';
import { createServer, type RampartServer, type ServerNotice } from '../app.js';
import { loadConfig } from '../config/config.js';
import { ensureDataDir } from '../data-dir.js';
import { BACKENDS, type TestBackend } from '../stores/databases.fixtures.js';
import { BrowserClient } from '../testing/browser-client.fixtures.js';
import { freePort } from '../testing/server.fixtures.js';
import { AuditAdmin } from './audit.js';
import { createAdministrator, firstAdminEmail } from './administrators.js';

const hasher = () => createPasswordHasher({ memoryCost: 1024, timeCost: 1, allowWeakParameters: true });
const NEW_PASSWORD = 'amber lanterns drifting over quiet harbours';

describe('first administrator (SQLite, whole server)', () => {
  let cwd: string;
  let server: RampartServer;
  let url: string;
  const notices: ServerNotice[] = [];
  const logLines: string[] = [];
  const clock = new ManualClock(Date.UTC(2026, 2, 1));

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'rampart-admin-'));
    const dataDir = join(cwd, '.rampart');
    ensureDataDir(dataDir);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const config = loadConfig({ env: { RAMPART_PORT: String(port), RAMPART_DATA_DIR: dataDir, RAMPART_PUBLIC_URL: url, RAMPART_LOG_LEVEL: 'trace' }, cwd });
    server = await createServer(config, {
      hasher: hasher(),
      clock,
      notify: (notice) => notices.push(notice),
      logDestination: { write: (line: string) => { logLines.push(line); } },
      mail: { send: () => Promise.resolve() },
    });
    await server.listen();
  });
  afterAll(async () => {
    await server.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('creates admin@<public host> once, tells the password only through notify, and forces a password change first', async () => {
    const created = notices.filter((n) => n.kind === 'admin-created');
    expect(created).toHaveLength(1);
    const notice = created[0];
    if (notice?.kind !== 'admin-created') throw new Error('no notice');
    expect(notice.email).toBe('admin@127.0.0.1');
    expect(notice.password.length).toBeGreaterThanOrEqual(20);
    expect(notice.password).toMatch(/^[A-Za-z0-9_-]+$/);

    const browser = new BrowserClient(url);
    expect((await browser.request('POST', '/v1/login', { json: { email: notice.email, password: notice.password } })).status).toBe(200);
    // Anything but the change: refused.
    const blocked = await browser.request('GET', '/v1/admin/users');
    expect([blocked.status, (blocked.body as { code?: string }).code]).toEqual([403, 'auth.password_change_required']);
    expect((await browser.request('GET', '/v1/sessions')).status).toBe(403);
    expect((await browser.request('GET', '/v1/identity')).status).toBe(200);
    clock.advance(60_000);
    const changed = await browser.request('POST', '/v1/password/change', { json: { currentPassword: notice.password, newPassword: NEW_PASSWORD } });
    expect([changed.status, changed.text]).toEqual([200, changed.text]);
    const users = await browser.request('GET', '/v1/admin/users');
    expect([users.status, users.text]).toEqual([200, users.text]);

    // The one-time password is in no log line and no audit entry.
    await server.events.flush();
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toContain(notice.password);
    let trail = '';
    for await (const page of server.audit.store.pages()) trail += page.map((row) => row.canonical).join('\n');
    expect(trail).toContain('account.created');
    expect(trail).not.toContain(notice.password);
    expect(trail).not.toContain(NEW_PASSWORD);
  });
});

describe.each(BACKENDS)('first administrator race on $name', ({ create, skip }) => {
  let backend: TestBackend;
  beforeAll(async () => {
    if (!skip) backend = await create();
  });
  afterAll(async () => {
    if (!skip) await backend.dispose();
  });

  it.skipIf(skip)('two processes starting at once create exactly one administrator; a later start creates none', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    const [a, b] = [await backend.open(), await backend.open()];
    const email = firstAdminEmail('https://id.example.com');
    expect(email).toBe('admin@id.example.com');
    const outcomes = await Promise.all([a, b].map((database) => createAdministrator({ database, hasher: hasher(), clock }, { email, how: 'first_start' })));
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['created', 'not_needed']);
    const again = await createAdministrator({ database: a, hasher: hasher(), clock }, { email: 'other@example.com', how: 'first_start' });
    expect(again.kind).toBe('not_needed');
    const admins = await a.db.selectFrom('rampart_role_bindings').select('user_id').where('role', '=', 'admin').execute();
    expect(admins).toHaveLength(1);
  });

  it.skipIf(skip)('attack: the first start never promotes an account that already holds the address', async () => {
    const database = await backend.open();
    await database.db.deleteFrom('rampart_role_bindings').execute();
    await database.db.deleteFrom('rampart_meta').where('key', '=', 'admin.first-start').execute();
    const at = new Date().toISOString();
    await database.db.insertInto('rampart_users').values({ id: 'squatter', email: 'admin@squat.example.com', email_normalized: 'admin@squat.example.com', password_hash: '!', email_verified_at: at, locked_at: null, password_changed_at: at, created_at: at, updated_at: at }).execute();
    const outcome = await createAdministrator({ database, hasher: hasher(), clock: new ManualClock(0) }, { email: 'admin@squat.example.com', how: 'first_start' });
    expect(outcome.kind).toBe('address_taken');
    expect(await database.db.selectFrom('rampart_role_bindings').selectAll().execute()).toEqual([]);
  });
});

describe('audit verification runs one at a time', () => {
  it('a second verify while one runs is refused', async () => {
    const { AuditLog, MemoryAuditStore, checkpointSigner } = await import('@rampart/core/audit');
    const { generateKeyPairSync } = await import('node:crypto');
    const keys = generateKeyPairSync('ed25519');
    const log = await AuditLog.open({ store: new MemoryAuditStore(), signer: checkpointSigner(keys.privateKey) });
    await log.append({ type: 'auth.login.succeeded', at: new Date(), subject: 'u' });
    const audit = new AuditAdmin(log, [keys.publicKey], 'main');
    const first = audit.verify();
    const second = await audit.verify();
    expect(second).toBeUndefined();
    expect(await first).toMatchObject({ ok: true, entries: 1 });
    expect(await audit.verify()).toMatchObject({ ok: true });
    await log.close();
  });
});
