import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireIdentity, requireStepUp } from './guards.js';
import { SESSION_COOKIE } from './session-cookie.js';
import { apiRequest, browserSignedInAs } from '../testing/browser-client.fixtures.js';
import { SERVER_BACKENDS, startTestServer, type TestServer } from '../testing/server.fixtures.js';
import { createVerifiedUser } from '../testing/users.fixtures.js';

describe.each(SERVER_BACKENDS)('authentication kernel on $name', ({ backend, skip }) => {
  let t: TestServer;
  let userId: string;
  beforeAll(async () => {
    if (skip) return;
    t = await startTestServer({ backend });
    // Test-only routes, declared before the server listens, to observe what the kernel decided.
    userId = await createVerifiedUser(t, 'kernel@example.test');
  });
  afterAll(async () => {
    if (!skip) await t.close();
  });

  it.skipIf(skip)('a session cookie is an identity; a dead session is a 401 that clears the cookie', async () => {
    const browser = await browserSignedInAs(t, userId);
    const csrf = await browser.request('GET', '/v1/csrf');
    expect(csrf.status).toBe(200);
    expect(typeof (csrf.body as { token: unknown }).token).toBe('string');
    const id = browser.sessionId ?? '';
    expect(await t.server.sessions.revoke(id)).toBe(true);
    const after = await browser.request('GET', '/v1/csrf');
    expect(after.status).toBe(401);
    expect(after.headers.get('content-type')).toContain('application/problem+json');
    expect((after.body as { code: string }).code).toBe('auth.session_invalid');
    expect(after.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=;`))).toBe(true);
    expect(browser.sessionId).toBeUndefined();
  });

  it.skipIf(skip)('GET /v1/identity tells a signed-in caller who they are, and an anonymous one 401 with a challenge', async () => {
    const browser = await browserSignedInAs(t, userId, { amr: ['pwd', 'otp', 'mfa'] });
    const me = await browser.request('GET', '/v1/identity');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ userId, source: 'session', amr: ['pwd', 'otp', 'mfa'], scopes: null });
    expect(me.headers.get('cache-control')).toBe('no-store');
    const anonymous = await apiRequest(t.url, 'GET', '/v1/identity');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
  });

  it.skipIf(skip)('attack: a forged session id is refused, never treated as anonymous', async () => {
    const forged = await apiRequest(t.url, 'GET', '/v1/csrf', { headers: { cookie: `${SESSION_COOKIE}=${'A'.repeat(43)}` } });
    expect(forged.status).toBe(401);
  });

  it.skipIf(skip)('attack: CSRF — a cookie-carrying POST from another origin, without the token, or with another session\'s token is refused', async () => {
    const victim = await browserSignedInAs(t, userId);
    const attacker = await browserSignedInAs(t, userId);
    const attackerToken = await attacker.csrfToken();
    // Registration stands in for any unsafe route: the guard runs before the handler.
    const body = { json: { email: 'x@example.test', password: 'violet kettle marching under cobalt rain' } };
    const crossSite = await victim.request('POST', '/v1/accounts', { ...body, headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    expect((crossSite.body as { code: string }).code).toBe('csrf.cross_site');
    const noToken = await victim.request('POST', '/v1/accounts', { ...body, withoutCsrfToken: true });
    expect(noToken.status).toBe(403);
    const foreignToken = await victim.request('POST', '/v1/accounts', { ...body, headers: { 'x-csrf-token': attackerToken } });
    expect(foreignToken.status).toBe(403);
    const ok = await victim.request('POST', '/v1/accounts', body);
    expect(ok.status).toBe(202);
  });

  it.skipIf(skip)('a program without cookies or browser headers is not asked for a CSRF token', async () => {
    const response = await apiRequest(t.url, 'POST', '/v1/password/reset', { json: { email: 'nobody@example.test' } });
    expect(response.status).toBe(202);
  });
});

/** The problem a guard threw, or `undefined` when it passed. */
function refusal(check: () => unknown): { status: number; code?: string } | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    return (error as { problem: { status: number; code?: string } }).problem;
  }
}

describe('guards', () => {
  const request = (identity: unknown) => ({ identity }) as Parameters<typeof requireIdentity>[0];
  const now = Date.UTC(2026, 2, 1);
  const clock = { now: () => now };
  it('requireIdentity: 401 without identity, 403 for a credential the route does not take', () => {
    expect(refusal(() => requireIdentity(request(undefined)))).toMatchObject({ status: 401 });
    const key = { userId: 'u', source: 'api_key', amr: [], authTime: 0 };
    expect(refusal(() => requireIdentity(request(key), ['session']))).toMatchObject({ status: 403 });
    expect(requireIdentity(request(key), ['api_key'])).toBe(key);
  });
  it('requireStepUp: only a recent full authentication passes; API keys and future stamps never do', () => {
    const fresh = { userId: 'u', source: 'session', amr: ['pwd'], authTime: now, fullyAuthenticatedAt: now - 60_000 };
    expect(requireStepUp(request(fresh), { clock })).toBe(fresh);
    const stale = { ...fresh, fullyAuthenticatedAt: now - 11 * 60_000 };
    expect(refusal(() => requireStepUp(request(stale), { clock }))).toMatchObject({ code: 'auth.step_up_required' });
    const none = { userId: 'u', source: 'session', amr: ['pwd'], authTime: now };
    expect(refusal(() => requireStepUp(request(none), { clock }))).toMatchObject({ status: 403 });
    const future = { ...fresh, fullyAuthenticatedAt: now + 3_600_000 };
    expect(refusal(() => requireStepUp(request(future), { clock }))).toMatchObject({ status: 403 });
    const key = { ...fresh, source: 'api_key' };
    expect(refusal(() => requireStepUp(request(key), { clock }))).toMatchObject({ status: 403 });
  });
});
