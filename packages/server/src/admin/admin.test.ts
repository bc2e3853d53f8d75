/*
 * The administration routes end to end, over real HTTP with the whole server, on SQLite and on PostgreSQL + Redis.
 * Each control is shown by performing the attack it stops: a non-administrator on every route, a change without a
 * step-up, a locked account's credentials, forged and traversing ids, page-size abuse, SQL metacharacters in the
 * filter, secrets through the audit routes.
 */
import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInclusion, type SignedTreeHead } from '@rampart/core/audit';
import { apiRequest, BrowserClient, browserSignedInAs, type JsonResponse } from '../testing/browser-client.fixtures.js';
import { SERVER_BACKENDS, startTestServer, type TestServer } from '../testing/server.fixtures.js';
import { createVerifiedUser, TEST_PASSWORD } from '../testing/users.fixtures.js';

const MINUTE = 60_000;

/** Every admin route of this module, with a syntactically valid id: what a non-administrator must never reach. */
function adminRoutes(userId: string): readonly (readonly [string, string])[] {
  return [
    ['GET', '/v1/admin/users'],
    ['GET', `/v1/admin/users/${userId}`],
    ['POST', `/v1/admin/users/${userId}/lock`],
    ['POST', `/v1/admin/users/${userId}/unlock`],
    ['GET', `/v1/admin/users/${userId}/sessions`],
    ['DELETE', `/v1/admin/users/${userId}/sessions`],
    ['GET', `/v1/admin/users/${userId}/api-keys`],
    ['DELETE', '/v1/admin/api-keys/AAAAAAAAAAAAAAAAAAAAAA'],
    ['GET', '/v1/admin/audit/events'],
    ['GET', '/v1/admin/audit/checkpoints'],
    ['GET', '/v1/admin/audit/proofs/0'],
    ['POST', '/v1/admin/audit/verify'],
  ];
}

function code(response: JsonResponse): unknown {
  return (response.body as { code?: unknown } | undefined)?.code;
}

async function lockedAt(t: TestServer, userId: string): Promise<string | null> {
  const row = await t.server.database.db.selectFrom('rampart_users').select('locked_at').where('id', '=', userId).executeTakeFirstOrThrow();
  return row.locked_at;
}

describe.each(SERVER_BACKENDS)('administration on $name', ({ backend, skip }) => {
  let t: TestServer;
  let adminId: string;
  let admin: BrowserClient;
  let n = 0;
  const fresh = (): string => `user${++n}-${backend}@example.com`;

  beforeAll(async () => {
    if (skip) return;
    t = await startTestServer({ backend });
    adminId = await createVerifiedUser(t, `root-${backend}@example.com`);
    await t.server.modules.authz.grantAdmin(adminId);
    admin = await browserSignedInAs(t, adminId);
  });
  afterAll(async () => {
    if (!skip) await t.close();
  });

  /** A session that completed every factor just now (the step-up clock starts at the request time). */
  const freshAdmin = (): Promise<BrowserClient> => browserSignedInAs(t, adminId);

  it.skipIf(skip)('attack: a signed-in non-administrator gets 403 authz.admin_required on every admin route; anonymous 401', async () => {
    const userId = await createVerifiedUser(t, fresh());
    const user = await browserSignedInAs(t, userId);
    for (const [method, path] of adminRoutes(adminId)) {
      const response = await user.request(method, path);
      expect([method, path, response.status, code(response)]).toEqual([method, path, 403, 'authz.admin_required']);
      const anonymous = await apiRequest(t.url, method, path);
      expect([method, path, anonymous.status]).toEqual([method, path, 401]);
    }
    // Nothing changed: the admin was not locked, and a denial is an event naming the route.
    expect(await lockedAt(t, adminId)).toBeNull();
    await t.server.events.flush();
    expect(t.events.some((e) => e.type === 'authz.denied' && e.subject === userId && e.attributes?.route === '/v1/admin/users/:id/lock')).toBe(true);
  });

  it.skipIf(skip)('attack: an administrator change without a recent step-up is 403 auth.step_up_required, nothing changed', async () => {
    const victim = await createVerifiedUser(t, fresh());
    const stale = await browserSignedInAs(t, adminId, { fullyAuthenticatedAt: t.clock.now() - 11 * MINUTE });
    for (const [method, path] of [['POST', `/v1/admin/users/${victim}/lock`], ['DELETE', `/v1/admin/users/${victim}/sessions`], ['POST', '/v1/admin/audit/verify']] as const) {
      const response = await stale.request(method, path);
      expect([path, response.status, code(response)]).toEqual([path, 403, 'auth.step_up_required']);
    }
    expect(await lockedAt(t, victim)).toBeNull();
    // Reads need the role, not a step-up.
    expect((await stale.request('GET', `/v1/admin/users/${victim}`)).status).toBe(200);
  });

  it.skipIf(skip)('lists and shows accounts with bounded pages and a cursor; personal data is no-store', async () => {
    const ids = [await createVerifiedUser(t, fresh()), await createVerifiedUser(t, fresh())];
    const first = await admin.request('GET', '/v1/admin/users?limit=1');
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const page = first.body as { users: { id: string }[]; next: string | null };
    expect(page.users).toHaveLength(1);
    expect(page.next).toBe(page.users[0]?.id);
    const all: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 20; i++) {
      const response = await admin.request('GET', `/v1/admin/users?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`);
      const body = response.body as { users: { id: string }[]; next: string | null };
      all.push(...body.users.map((u) => u.id));
      cursor = body.next;
      if (cursor === null) break;
    }
    expect(all).toEqual([...all].sort());
    expect(all).toEqual(expect.arrayContaining([...ids, adminId]));
    const detail = await admin.request('GET', `/v1/admin/users/${ids[0] ?? ''}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id: ids[0], emailVerified: true, locked: false, factors: { totp: false, passkeys: 0, backupCodes: 0 }, sessions: 0, apiKeys: { live: 0, total: 0 } });
    expect(detail.text).not.toMatch(/password_hash|\$argon2/);
    const self = await admin.request('GET', `/v1/admin/users/${adminId}`);
    expect((self.body as { globalRoles: string[] }).globalRoles).toContain('admin');
  });

  it.skipIf(skip)('attack: limit abuse (1000000, 0, 101, -1, abc) is 400 validation.failed', async () => {
    for (const limit of ['1000000', '0', '101', '-1', 'abc', '1e3']) {
      const users = await admin.request('GET', `/v1/admin/users?limit=${limit}`);
      expect([limit, users.status, code(users)]).toEqual([limit, 400, 'validation.failed']);
      const events = await admin.request('GET', `/v1/admin/audit/events?limit=${limit}`);
      expect([limit, events.status]).toEqual([limit, 400]);
    }
    expect((await admin.request('GET', '/v1/admin/users?cursor=..%2F..%2Fetc')).status).toBe(400);
  });

  it.skipIf(skip)('attack: SQL metacharacters in the e-mail filter (%, _, \') match literally', async () => {
    const tag = `m${backend}`;
    const addresses = [`${tag}%a@example.com`, `${tag}xa@example.com`, `${tag}_b@example.com`, `${tag}yb@example.com`, `${tag}'c@example.com`];
    for (const email of addresses) expect((await apiRequest(t.url, 'POST', '/v1/accounts', { json: { email, password: TEST_PASSWORD } })).status).toBe(202);
    const filter = async (prefix: string): Promise<string[]> => {
      const response = await admin.request('GET', `/v1/admin/users?limit=100&email=${encodeURIComponent(prefix)}`);
      expect([prefix, response.status, response.text]).toEqual([prefix, 200, response.text]);
      return (response.body as { users: { email: string }[] }).users.map((u) => u.email).sort();
    };
    expect(await filter(`${tag}%`)).toEqual([`${tag}%a@example.com`]);
    expect(await filter(`${tag}_`)).toEqual([`${tag}_b@example.com`]);
    expect(await filter(`${tag}'`)).toEqual([`${tag}'c@example.com`]);
    expect(await filter(`${tag.toUpperCase()}X`)).toEqual([`${tag}xa@example.com`]);
    expect(await filter('%')).toEqual([]);
    expect(await filter("'OR'1'='1")).toEqual([]);
    expect(await filter("';DROP TABLE rampart_users;--".replace(/ /g, ''))).toEqual([]);
    // A space cannot be in an address: refused by the schema, not matched.
    expect((await admin.request('GET', `/v1/admin/users?email=${encodeURIComponent("' OR '1'='1")}`)).status).toBe(400);
  });

  it.skipIf(skip)('attack: a locked account\'s session, refresh token, access token and API key all stop at once; unlock restores sign-in', async () => {
    const email = fresh();
    const victim = await createVerifiedUser(t, email);
    const browser = new BrowserClient(t.url);
    expect((await browser.request('POST', '/v1/login', { json: { email, password: TEST_PASSWORD } })).status).toBe(200);
    const created = await browser.request('POST', '/v1/api-keys', { json: { name: 'svc', scopes: ['authz:check'] } });
    expect(created.status).toBe(201);
    const apiKey = (created.body as { key: string }).key;
    const tokens = (await apiRequest(t.url, 'POST', '/v1/login', { json: { email, password: TEST_PASSWORD, delivery: 'tokens' } })).body as { access_token: string; refresh_token: string };
    expect((await browser.request('GET', '/v1/identity')).status).toBe(200);
    expect((await apiRequest(t.url, 'GET', '/v1/identity', { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);
    expect((await apiRequest(t.url, 'GET', '/v1/identity', { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(200);

    const detail = await admin.request('GET', `/v1/admin/users/${victim}`);
    expect(detail.body).toMatchObject({ sessions: 1, apiKeys: { live: 1, total: 1 } });
    const lock = await (await freshAdmin()).request('POST', `/v1/admin/users/${victim}/lock`);
    expect(lock.status).toBe(200);
    expect(lock.body).toMatchObject({ id: victim, locked: true, changed: true, revokedSessions: 1, revokedTokenFamilies: 1, revokedApiKeys: 1 });

    expect((await browser.request('GET', '/v1/identity')).status).toBe(401);
    expect((await apiRequest(t.url, 'GET', '/v1/identity', { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
    expect((await apiRequest(t.url, 'GET', '/v1/identity', { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(401);
    const refreshed = await apiRequest(t.url, 'POST', '/v1/token', { json: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token } });
    expect(refreshed.status).toBe(400);
    expect((refreshed.body as { error?: string }).error).toBe('invalid_grant');
    expect((await apiRequest(t.url, 'POST', '/v1/login', { json: { email, password: TEST_PASSWORD } })).status).toBe(401);

    // Locking again is idempotent; unlocking lets the owner sign in again (the revoked credentials stay revoked).
    expect((await (await freshAdmin()).request('POST', `/v1/admin/users/${victim}/lock`)).body).toMatchObject({ changed: false, revokedSessions: 0 });
    const unlock = await (await freshAdmin()).request('POST', `/v1/admin/users/${victim}/unlock`);
    expect(unlock.body).toEqual({ id: victim, locked: false, changed: true });
    expect((await apiRequest(t.url, 'POST', '/v1/login', { json: { email, password: TEST_PASSWORD } })).status).toBe(200);
    expect((await apiRequest(t.url, 'GET', '/v1/identity', { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(401);
    await t.server.events.flush();
    const disabled = t.events.find((e) => e.type === 'account.disabled' && e.subject === victim);
    expect(disabled?.attributes).toMatchObject({ by: adminId, revokedSessions: 1, revokedApiKeys: 1 });
    expect(t.events.some((e) => e.type === 'account.enabled' && e.subject === victim)).toBe(true);
  });

  it.skipIf(skip)('attack: an administrator cannot lock themselves (409), nothing changed', async () => {
    const response = await (await freshAdmin()).request('POST', `/v1/admin/users/${adminId}/lock`);
    expect([response.status, code(response)]).toEqual([409, 'admin.cannot_lock_self']);
    expect(await lockedAt(t, adminId)).toBeNull();
  });

  it.skipIf(skip)('attack: forged ids and path traversal in :id are 404 / 400, nothing changed', async () => {
    const session = await freshAdmin();
    const forged = await session.request('POST', '/v1/admin/users/00000000-0000-4000-8000-000000000000/lock');
    expect([forged.status, code(forged)]).toEqual([404, 'admin.user_not_found']);
    for (const id of ['..%2F..%2Fadmin', "x'%20OR%20'1'%3D'1", '%00', 'a'.repeat(65)]) {
      const response = await session.request('POST', `/v1/admin/users/${id}/lock`);
      expect([id, response.status]).toEqual([id, 400]);
    }
    // fetch resolves dot segments (`%2e%2e` too) before sending, so these reach no admin route at all.
    for (const path of ['/v1/admin/users/%2e%2e/lock', '/v1/admin/users/../users/x/lock']) expect([400, 404]).toContain((await session.request('POST', path)).status);
    const traversal = await session.request('POST', '/v1/admin/users/../users/x/lock');
    expect([400, 404]).toContain(traversal.status);
    const locked = await t.server.database.db.selectFrom('rampart_users').select('id').where('locked_at', 'is not', null).execute();
    expect(locked.map((r) => r.id)).not.toContain(adminId);
    expect((await session.request('DELETE', '/v1/admin/api-keys/AAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);
    expect((await session.request('DELETE', '/v1/admin/api-keys/..%2F..')).status).toBe(400);
  });

  it.skipIf(skip)('sessions and API keys of an account: listed without secrets, ended and revoked by the administrator', async () => {
    const email = fresh();
    const owner = await createVerifiedUser(t, email);
    const browser = new BrowserClient(t.url);
    expect((await browser.request('POST', '/v1/login', { json: { email, password: TEST_PASSWORD } })).status).toBe(200);
    const created = (await browser.request('POST', '/v1/api-keys', { json: { name: 'svc', scopes: ['authz:check'] } })).body as { id: string; key: string };
    const sessions = await admin.request('GET', `/v1/admin/users/${owner}/sessions`);
    expect((sessions.body as { sessions: unknown[] }).sessions).toHaveLength(1);
    expect(sessions.text).not.toContain(browser.sessionId ?? '\u0000');
    const keys = await admin.request('GET', `/v1/admin/users/${owner}/api-keys`);
    expect((keys.body as { keys: { id: string }[] }).keys.map((k) => k.id)).toEqual([created.id]);
    expect(keys.text).not.toContain(created.key);
    expect(keys.text).not.toMatch(/"hash"/);

    const revoked = await (await freshAdmin()).request('DELETE', `/v1/admin/api-keys/${created.id}`);
    expect(revoked.status).toBe(204);
    expect((await apiRequest(t.url, 'GET', '/v1/identity', { headers: { authorization: `Bearer ${created.key}` } })).status).toBe(401);
    const ended = await (await freshAdmin()).request('DELETE', `/v1/admin/users/${owner}/sessions`);
    expect(ended.body).toEqual({ revokedSessions: 1, revokedTokenFamilies: 0 });
    expect((await browser.request('GET', '/v1/identity')).status).toBe(401);
    expect((await admin.request('GET', '/v1/admin/users/nobody/sessions')).status).toBe(404);
  });

  it.skipIf(skip)('attack: the audit routes expose no secret — a page of entries after logins, token grants and key creation', async () => {
    const email = fresh();
    await createVerifiedUser(t, email);
    const browser = new BrowserClient(t.url);
    await browser.request('POST', '/v1/login', { json: { email, password: TEST_PASSWORD } });
    const key = ((await browser.request('POST', '/v1/api-keys', { json: { name: 'svc', scopes: ['authz:check'] } })).body as { key: string }).key;
    const tokens = (await apiRequest(t.url, 'POST', '/v1/login', { json: { email, password: TEST_PASSWORD, delivery: 'tokens' } })).body as { access_token: string; refresh_token: string };
    await apiRequest(t.url, 'POST', '/v1/login', { json: { email, password: 'wrong horse battery staple 42' } });
    await t.server.events.flush();
    const secrets = [TEST_PASSWORD, 'wrong horse battery staple 42', key, tokens.access_token, tokens.refresh_token, browser.sessionId ?? '', browser.cookie('__Host-csrf') ?? ''].filter((s) => s !== '');
    let after: number | undefined;
    let seen = 0;
    for (let i = 0; i < 50; i++) {
      const response = await admin.request('GET', `/v1/admin/audit/events?limit=100${after === undefined ? '' : `&after=${after}`}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      for (const secret of secrets) expect(response.text).not.toContain(secret);
      const body = response.body as { entries: { seq: number }[]; next: number | null };
      seen += body.entries.length;
      if (body.next === null) break;
      after = body.next;
    }
    expect(seen).toBeGreaterThan(10);
    const logins = await admin.request('GET', '/v1/admin/audit/events?limit=100&type=auth.login.succeeded');
    const types = (logins.body as { entries: { event: { type: string } }[] }).entries.map((e) => e.event.type);
    expect(types.length).toBeGreaterThan(0);
    expect(new Set(types)).toEqual(new Set(['auth.login.succeeded']));
    await t.server.events.flush();
    expect(t.events.some((e) => e.type === 'audit.accessed' && e.subject === adminId)).toBe(true);
  });

  it.skipIf(skip)('signed heads and inclusion proofs verify offline; the trail verifies on demand', async () => {
    await t.server.events.flush();
    await t.server.audit.checkpoint();
    const heads = await admin.request('GET', '/v1/admin/audit/checkpoints?limit=5');
    expect(heads.status).toBe(200);
    const { publicKeys, checkpoints } = heads.body as { publicKeys: { pem: string }[]; checkpoints: SignedTreeHead[] };
    expect(checkpoints.length).toBeGreaterThan(0);
    const keys = publicKeys.map((k) => createPublicKey(k.pem));
    const proofResponse = await admin.request('GET', '/v1/admin/audit/proofs/1');
    expect(proofResponse.status).toBe(200);
    const proof = proofResponse.body as { canonical: string; leafIndex: number; treeSize: number; path: string[]; checkpoint: SignedTreeHead };
    expect(checkInclusion(proof.canonical, { leafIndex: proof.leafIndex, treeSize: proof.treeSize, path: proof.path }, proof.checkpoint, keys)).toBe(true);
    expect(checkInclusion(proof.canonical.replace('"seq":1', '"seq":2'), { leafIndex: proof.leafIndex, treeSize: proof.treeSize, path: proof.path }, proof.checkpoint, keys)).toBe(false);
    const beyond = await admin.request('GET', '/v1/admin/audit/proofs/999999999');
    expect([beyond.status, code(beyond)]).toEqual([404, 'audit.entry_not_found']);
    const verified = await (await freshAdmin()).request('POST', '/v1/admin/audit/verify');
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ ok: true, instanceId: 'main' });
  });
});
