/*
 * `POST /v1/login` with `delivery: "tokens"` through the whole server, its real token module behind the `TokenIssuer`
 * contract: the answer must be an RFC 6749 §5.1 token response. (The same flow with a second factor, against a test
 * issuer, is in second-factor.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../auth/session-cookie.js';
import { apiRequest } from '../testing/browser-client.fixtures.js';
import { SERVER_BACKENDS, startTestServer, type TestServer } from '../testing/server.fixtures.js';
import { createVerifiedUser, TEST_PASSWORD } from '../testing/users.fixtures.js';

describe.each(SERVER_BACKENDS)('login with delivery tokens on $name', ({ backend, skip }) => {
  let t: TestServer;
  let userId: string;

  beforeAll(async () => {
    if (skip) return;
    t = await startTestServer({ backend });
    userId = await createVerifiedUser(t, 'tokens@example.test');
  });
  afterAll(async () => {
    if (!skip) await t.close();
  });

  it.skipIf(skip)('answers an RFC 6749 §5.1 token response, not cached, without a session cookie; the access token authenticates', async () => {
    const response = await apiRequest(t.url, 'POST', '/v1/login', { json: { email: 'tokens@example.test', password: TEST_PASSWORD, delivery: 'tokens' } });
    expect(response.status).toBe(200);
    // §5.1: Cache-Control: no-store and Pragma: no-cache on every response that carries tokens.
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(response.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
    const body = response.body as Record<string, unknown>;
    expect(body).toMatchObject({ access_token: expect.any(String) as string, token_type: 'Bearer', expires_in: expect.any(Number) as number, refresh_token: expect.any(String) as string });
    expect(Number.isInteger(body.expires_in) && (body.expires_in as number) > 0).toBe(true);
    expect(Object.keys(body).every((key) => ['access_token', 'token_type', 'expires_in', 'refresh_token', 'scope'].includes(key))).toBe(true);
    const me = await apiRequest(t.url, 'GET', '/v1/identity', { headers: { authorization: `Bearer ${String(body.access_token)}` } });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ userId, source: 'access_token', amr: ['pwd'] });
    expect(await t.server.sessions.list(userId)).toHaveLength(0);
  });
});
