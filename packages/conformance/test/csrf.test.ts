import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookiePairs, json, send, type Reply } from './client.js';
import { openSession, sameOrigin, type Session } from './session.js';
import { ADAPTERS, ALLOWED_ORIGIN, CSRF_COOKIE, SESSION_COOKIE, rotatedSession, startApp, type RunningApp } from './servers.js';

const ORDER = JSON.stringify({ item: 'book', quantity: 1 });

function expectCsrfRefusal(reply: Reply): void {
  expect(reply.status).toBe(403);
  expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = json(reply);
  expect(body.type).toBe('https://rampart.dev/problems/csrf');
  expect(body.code).toMatch(/^csrf\./);
  expect(typeof body.correlationId).toBe('string');
}

describe.each(ADAPTERS)('CSRF through %s', (adapter) => {
  let app: RunningApp;
  let alice: Session;
  let mallory: Session;

  beforeAll(async () => {
    app = await startApp(adapter);
    alice = await openSession(app.port, 'alice-session-1');
    mallory = await openSession(app.port, 'mallory-session-2');
  });

  afterAll(async () => {
    await app.close();
  });

  it('a same-origin JSON POST with the token passes', async () => {
    const reply = await send(app.port, { method: 'POST', path: '/orders', headers: sameOrigin(alice, { 'content-type': 'application/json' }), body: ORDER });
    expect(reply.status).toBe(200);
    expect(json(reply)).toEqual({ received: { item: 'book', quantity: 1 }, polluted: false });
  });

  it('a same-origin JSON POST identified by Referer alone passes', async () => {
    const headers = sameOrigin(alice, { 'content-type': 'application/json', referer: `${ALLOWED_ORIGIN}/checkout` });
    delete headers.origin;
    const reply = await send(app.port, { method: 'POST', path: '/orders', headers, body: ORDER });
    expect(reply.status).toBe(200);
  });

  it('a same-origin form POST with the token in the _csrf field passes', async () => {
    const headers = sameOrigin(alice, { 'content-type': 'application/x-www-form-urlencoded' });
    delete headers['x-csrf-token'];
    const reply = await send(app.port, { method: 'POST', path: '/form', headers, body: `item=book&_csrf=${encodeURIComponent(alice.token)}` });
    expect(reply.status).toBe(200);
    expect(json(reply).received).toMatchObject({ item: 'book' });
  });

  it('attack: a cross-site form POST is refused', async () => {
    const reply = await send(app.port, {
      method: 'POST',
      path: '/form',
      headers: {
        cookie: alice.cookie,
        origin: 'https://evil.com',
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'navigate',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `item=book&_csrf=${encodeURIComponent(alice.token)}`,
    });
    expectCsrfRefusal(reply);
  });

  it('attack: a cross-site form POST from an old browser (no Fetch Metadata) is refused by its Origin', async () => {
    const reply = await send(app.port, {
      method: 'POST',
      path: '/form',
      headers: { cookie: alice.cookie, origin: 'https://evil.com', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'item=book',
    });
    expectCsrfRefusal(reply);
  });

  it('attack: a same-origin form POST without the _csrf field is refused', async () => {
    const headers = sameOrigin(alice, { 'content-type': 'application/x-www-form-urlencoded' });
    delete headers['x-csrf-token'];
    const reply = await send(app.port, { method: 'POST', path: '/form', headers, body: 'item=book' });
    expectCsrfRefusal(reply);
  });

  it('attack: a form POST with a wrong or repeated _csrf field is refused', async () => {
    const headers = sameOrigin(alice, { 'content-type': 'application/x-www-form-urlencoded' });
    delete headers['x-csrf-token'];
    const wrong = await send(app.port, { method: 'POST', path: '/form', headers, body: `item=book&_csrf=${encodeURIComponent(mallory.token)}` });
    expectCsrfRefusal(wrong);
    const repeated = await send(app.port, {
      method: 'POST',
      path: '/form',
      headers,
      body: `_csrf=${encodeURIComponent(alice.token)}&_csrf=${encodeURIComponent(mallory.token)}`,
    });
    expectCsrfRefusal(repeated);
  });

  it('attack: a JSON POST without the token is refused', async () => {
    const headers = sameOrigin(alice, { 'content-type': 'application/json' });
    delete headers['x-csrf-token'];
    expectCsrfRefusal(await send(app.port, { method: 'POST', path: '/orders', headers, body: ORDER }));
  });

  it('attack: a token from another session is refused', async () => {
    // Mallory's own valid token and cookie, replayed with Alice's session cookie.
    const reply = await send(app.port, {
      method: 'POST',
      path: '/orders',
      headers: {
        cookie: `__Host-sid=alice-session-1; __Host-csrf=${mallory.token}`,
        origin: ALLOWED_ORIGIN,
        'sec-fetch-site': 'same-origin',
        'x-csrf-token': mallory.token,
        'content-type': 'application/json',
      },
      body: ORDER,
    });
    expectCsrfRefusal(reply);
  });

  it('attack: Sec-Fetch-Site: cross-site is refused even with a valid token and origin', async () => {
    const reply = await send(app.port, {
      method: 'POST',
      path: '/orders',
      headers: sameOrigin(alice, { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }),
      body: ORDER,
    });
    expectCsrfRefusal(reply);
  });

  it('attack: a cookie-authenticated POST with neither Origin nor Referer is refused', async () => {
    const headers = sameOrigin(alice, { 'content-type': 'application/json' });
    delete headers.origin;
    delete headers['sec-fetch-site'];
    expectCsrfRefusal(await send(app.port, { method: 'POST', path: '/orders', headers, body: ORDER }));
  });

  it('attack: Origin null (sandboxed iframe) is refused', async () => {
    const reply = await send(app.port, {
      method: 'POST',
      path: '/orders',
      headers: sameOrigin(alice, { 'content-type': 'application/json', origin: 'null' }),
      body: ORDER,
    });
    expectCsrfRefusal(reply);
  });

  it('the webhook, exempt by name, takes a cross-site POST without a token', async () => {
    const reply = await send(app.port, {
      method: 'POST',
      path: '/webhook',
      headers: { cookie: alice.cookie, origin: 'https://hooks.partner.example', 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
      body: '{"event":"paid"}',
    });
    expect(reply.status).toBe(200);
  });

  it('login rotates the token with the session: the new pair works, the pre-login token is dead', async () => {
    const before = await openSession(app.port, 'pre-login-session');
    const login = await send(app.port, {
      method: 'POST',
      path: '/login',
      headers: sameOrigin(before, { 'content-type': 'application/json' }),
      body: '{"user":"carol"}',
    });
    expect(login.status).toBe(200);
    const cookies = cookiePairs(login);
    const sid = rotatedSession('carol');
    // The handler's session cookie and the adapter's CSRF cookie both arrive.
    expect(cookies.get(SESSION_COOKIE)).toBe(sid);
    const fresh = cookies.get(CSRF_COOKIE);
    expect(fresh).toBe(json(login).csrfToken);
    expect(fresh).not.toBe(before.token);

    const after = { token: fresh ?? '', cookie: `${SESSION_COOKIE}=${sid}; ${CSRF_COOKIE}=${fresh ?? ''}` };
    const ok = await send(app.port, { method: 'POST', path: '/orders', headers: sameOrigin(after, { 'content-type': 'application/json' }), body: ORDER });
    expect(ok.status).toBe(200);
    const stale = { token: before.token, cookie: `${SESSION_COOKIE}=${sid}; ${CSRF_COOKIE}=${before.token}` };
    expectCsrfRefusal(await send(app.port, { method: 'POST', path: '/orders', headers: sameOrigin(stale, { 'content-type': 'application/json' }), body: ORDER }));
  });
});
