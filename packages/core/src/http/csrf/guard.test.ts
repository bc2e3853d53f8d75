/*
 * The guard through a real chain, performing each attack the OWASP CSRF cheat sheet lists: a cross-site form POST, a
 * JSON POST without a token, a token from another session, a missing half of the double submit, forged or foreign
 * origins, `Sec-Fetch-Site: cross-site` / `same-site`, a POST with neither Origin nor Referer. Every one is a 403; a
 * same-origin request with the session's token passes.
 */
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../../crypto/keyring.js';
import type { SecurityEvent } from '../../events.js';
import { createChain, type ChainOutcome } from '../chain/chain.js';
import { nodeHeaderReader } from '../chain/request.js';
import { CSRF_TOKEN } from './context.js';
import { csrf, type CsrfGuard } from './guard.js';
import type { CsrfOptions } from './options.js';

const ORIGIN = 'https://app.example';
const SID = 'victim-session-id';
const OTHER_SID = 'attacker-session-id';

interface Setup {
  readonly guard: CsrfGuard;
  readonly events: SecurityEvent[];
  readonly send: (method: string, headers: Record<string, string>, target?: string) => ChainOutcome;
}

function setup(extra: Partial<CsrfOptions> = {}, ring: KeyRing = KeyRing.generate()): Setup {
  const guard = csrf({ ring, allowedOrigins: [ORIGIN], ...extra });
  const events: SecurityEvent[] = [];
  const chain = createChain({ guards: [guard], events: (event) => events.push(event) });
  return {
    guard,
    events,
    send(method, headers, target = '/orders') {
      const outcome = chain.run({ method, target, header: nodeHeaderReader(headers), peerAddress: '203.0.113.9', tls: true });
      if (outcome instanceof Promise) throw new Error('the csrf guard must stay synchronous');
      return outcome;
    },
  };
}

/** Headers of a legitimate same-origin `fetch` from the app, for the session `sid`, carrying `token` in both places. */
function sameOrigin(token: string, sid = SID): Record<string, string> {
  return {
    cookie: `__Host-sid=${sid}; __Host-csrf=${token}`,
    'x-csrf-token': token,
    origin: ORIGIN,
    'sec-fetch-site': 'same-origin',
    'content-type': 'application/json',
  };
}

function expectRefused(outcome: ChainOutcome, code: string, events: SecurityEvent[]): void {
  expect(outcome.verdict.action).toBe('deny');
  if (outcome.verdict.action !== 'deny') return;
  expect(outcome.verdict.problem.status).toBe(403);
  expect(outcome.verdict.problem.code).toBe(`csrf.${code}`);
  const refused = events.filter((event) => event.type === 'http.csrf.refused');
  expect(refused.at(-1)?.attributes?.reason).toBe(code);
}

describe('csrf guard: attacks are refused', () => {
  it('attack: cross-site form POST (Sec-Fetch-Site cross-site, Origin evil, session cookie present) → 403', () => {
    const { send, events } = setup();
    const outcome = send('POST', {
      cookie: `__Host-sid=${SID}`,
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
      'content-type': 'application/x-www-form-urlencoded',
    });
    expectRefused(outcome, 'cross_site', events);
  });

  it('attack: cross-site form POST from a browser without Fetch Metadata → 403 on the Origin', () => {
    const { send, events } = setup();
    const outcome = send('POST', { cookie: `__Host-sid=${SID}`, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' });
    expectRefused(outcome, 'origin_not_allowed', events);
  });

  it('attack: Sec-Fetch-Site: cross-site with an allowed Origin (and a valid token) → 403', () => {
    const { guard, send, events } = setup();
    const { token } = guard.issueToken(SID);
    expectRefused(send('POST', { ...sameOrigin(token), 'sec-fetch-site': 'cross-site' }), 'cross_site', events);
  });

  it('attack: Sec-Fetch-Site: same-site (a sibling subdomain) → 403 by default', () => {
    const { guard, send, events } = setup();
    const { token } = guard.issueToken(SID);
    expectRefused(send('POST', { ...sameOrigin(token), 'sec-fetch-site': 'same-site' }), 'same_site', events);
  });

  it('attack: an unknown Sec-Fetch-Site value fails closed', () => {
    const { guard, send, events } = setup();
    const { token } = guard.issueToken(SID);
    for (const site of ['Same-Origin', 'same-origin, cross-site', '', 'evil']) {
      expectRefused(send('POST', { ...sameOrigin(token), 'sec-fetch-site': site }), 'fetch_metadata_invalid', events);
    }
  });

  it('attack: JSON POST without a token → 403', () => {
    const { send, events } = setup();
    const outcome = send('POST', {
      cookie: `__Host-sid=${SID}`,
      origin: ORIGIN,
      'sec-fetch-site': 'same-origin',
      'content-type': 'application/json',
    });
    expectRefused(outcome, 'token_missing', events);
  });

  it('attack: token and cookie minted for another session (the attacker\'s own) → 403', () => {
    const { guard, send, events } = setup();
    const { token } = guard.issueToken(OTHER_SID);
    expectRefused(send('POST', sameOrigin(token, SID)), 'token_invalid', events);
  });

  it('attack: an anonymous (pre-login) token used after login → 403', () => {
    const { guard, send, events } = setup();
    const { token } = guard.issueToken(undefined);
    expectRefused(send('POST', sameOrigin(token)), 'token_invalid', events);
  });

  it('attack: cookie without header, and header without cookie → 403', () => {
    const { guard, send, events } = setup();
    const { token } = guard.issueToken(SID);
    const { 'x-csrf-token': _header, ...cookieOnly } = sameOrigin(token);
    expectRefused(send('POST', cookieOnly), 'token_missing', events);
    expectRefused(send('POST', { ...sameOrigin(token), cookie: `__Host-sid=${SID}` }), 'cookie_missing', events);
  });

  it('attack: header and cookie that differ (each valid for the session) → 403', () => {
    const { guard, send, events } = setup();
    const a = guard.issueToken(SID).token;
    const b = guard.issueToken(SID).token;
    expectRefused(send('POST', { ...sameOrigin(a), 'x-csrf-token': b }), 'token_mismatch', events);
  });

  it('attack: a token cookie planted without the __Host- prefix is not read', () => {
    const { guard, send, events } = setup();
    const { token } = guard.issueToken(SID);
    expectRefused(send('POST', { ...sameOrigin(token), cookie: `__Host-sid=${SID}; csrf=${token}` }), 'cookie_missing', events);
  });

  it('attack: wrong kid, tampered MAC, truncated token (same in cookie and header) → 403', () => {
    const { guard, send, events } = setup();
    const { token } = guard.issueToken(SID);
    const [nonce = '', kid = '', mac = ''] = token.split('.');
    const tampered = `${mac.slice(0, 5)}${mac[5] === 'A' ? 'B' : 'A'}${mac.slice(6)}`;
    const forged = [`${nonce}.made-up.${mac}`, `${nonce}.${kid}.${tampered}`, token.slice(0, 60)];
    for (const bad of forged) expectRefused(send('POST', sameOrigin(bad)), 'token_invalid', events);
  });

  it('attack: POST with neither Origin nor Referer on a cookie-authenticated route → 403', () => {
    const { guard, send, events } = setup();
    const { token } = guard.issueToken(SID);
    const { origin: _origin, ...headers } = sameOrigin(token);
    expectRefused(send('POST', headers), 'origin_missing', events);
  });

  it('attack: Origin: null (sandboxed iframe, data: URL) → 403', () => {
    const { guard, send, events } = setup();
    const { token } = guard.issueToken(SID);
    expectRefused(send('POST', { ...sameOrigin(token), origin: 'null' }), 'origin_null', events);
  });

  it('attack: look-alike origins (other scheme, port, suffix, case, trailing slash) → 403', () => {
    const { guard, send, events } = setup();
    const { token } = guard.issueToken(SID);
    const origins = ['http://app.example', 'https://app.example:8443', 'https://app.example.evil', 'https://APP.example', `${ORIGIN}/`, `${ORIGIN}, ${ORIGIN}`];
    for (const origin of origins) expectRefused(send('POST', { ...sameOrigin(token), origin }), 'origin_not_allowed', events);
  });

  it('attack: Referer from an evil origin (no Origin header) → 403', () => {
    const { guard, send, events } = setup();
    const { token } = guard.issueToken(SID);
    const { origin: _origin, ...headers } = sameOrigin(token);
    for (const referer of ['https://evil.example/page', `https://evil.example/?r=${ORIGIN}`, 'not a url', `${ORIGIN}.evil.example/`]) {
      expectRefused(send('POST', { ...headers, referer }), 'referer_not_allowed', events);
    }
  });

  it('refusals say nothing about the attacker input', () => {
    const { send } = setup();
    const outcome = send('POST', { cookie: `__Host-sid=${SID}`, origin: 'https://evil.example<script>' });
    expect(JSON.stringify(outcome.verdict)).not.toContain('evil');
  });

  it('events carry the reason, never the token or the session id', () => {
    const { guard, send, events } = setup();
    const { token } = guard.issueToken(OTHER_SID);
    send('POST', sameOrigin(token));
    const text = JSON.stringify(events);
    expect(text).not.toContain(token);
    expect(text).not.toContain(SID);
  });
});

describe('csrf guard: legitimate requests pass', () => {
  it('same-origin POST with the session token continues, and the token is in the context', () => {
    const { guard, send, events } = setup();
    const { token } = guard.issueToken(SID);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const outcome = send(method, sameOrigin(token));
      expect(outcome.verdict.action).toBe('continue');
      expect(outcome.context.get(CSRF_TOKEN)).toBe(token);
    }
    expect(events).toEqual([]);
  });

  it('same-origin POST that carries Referer instead of Origin continues', () => {
    const { guard, send } = setup();
    const { token } = guard.issueToken(SID);
    const { origin: _origin, ...headers } = sameOrigin(token);
    expect(send('POST', { ...headers, referer: `${ORIGIN}/cart?step=2` }).verdict.action).toBe('continue');
  });

  it('Sec-Fetch-Site: none (user-initiated) and an old browser without Fetch Metadata continue', () => {
    const { guard, send } = setup();
    const { token } = guard.issueToken(SID);
    const { 'sec-fetch-site': _site, ...old } = sameOrigin(token);
    expect(send('POST', old).verdict.action).toBe('continue');
    expect(send('POST', { ...sameOrigin(token), 'sec-fetch-site': 'none' }).verdict.action).toBe('continue');
  });

  it('GET, HEAD, OPTIONS and TRACE are exempt, even cross-site', () => {
    const { send } = setup();
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'TRACE']) {
      const outcome = send(method, { cookie: `__Host-sid=${SID}`, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
      expect(outcome.verdict.action).toBe('continue');
    }
  });

  it('GET without a valid token gets one: a __Host- cookie bound to the session, and the same value in the context', () => {
    const { guard, send } = setup();
    const outcome = send('GET', { cookie: `__Host-sid=${SID}` });
    const token = outcome.context.get(CSRF_TOKEN);
    expect(token).toBeDefined();
    const [setCookie] = outcome.headers.cookies;
    expect(setCookie).toBe(`__Host-csrf=${token ?? ''}; Path=/; Secure; HttpOnly; SameSite=Lax`);
    expect(guard.verifyToken(token, SID)).toBe(true);
    // …and that token then works for a POST.
    expect(send('POST', sameOrigin(token ?? '')).verdict.action).toBe('continue');
  });

  it('HEAD issues a token; OPTIONS (CORS preflights) and TRACE do not', () => {
    const { send } = setup();
    expect(send('HEAD', {}).headers.cookies).toHaveLength(1);
    expect(send('OPTIONS', {}).headers.cookies).toHaveLength(0);
    expect(send('TRACE', {}).headers.cookies).toHaveLength(0);
  });

  it('GET with a valid token keeps it (no new cookie, so forms open in other tabs keep working)', () => {
    const { guard, send } = setup();
    const { token } = guard.issueToken(SID);
    const outcome = send('GET', { cookie: `__Host-sid=${SID}; __Host-csrf=${token}` });
    expect(outcome.headers.cookies).toEqual([]);
    expect(outcome.context.get(CSRF_TOKEN)).toBe(token);
  });

  it('GET with a token of another session replaces it', () => {
    const { guard, send } = setup();
    const { token } = guard.issueToken(OTHER_SID);
    const outcome = send('GET', { cookie: `__Host-sid=${SID}; __Host-csrf=${token}` });
    const fresh = outcome.context.get(CSRF_TOKEN);
    expect(fresh).not.toBe(token);
    expect(guard.verifyToken(fresh, SID)).toBe(true);
    expect(outcome.headers.cookies).toHaveLength(1);
  });

  it('a bearer-only request (no cookies) is not CSRF-able and continues; with a cookie it is checked', () => {
    const { send, events } = setup();
    const bearer = { authorization: 'Bearer abc.def.ghi', origin: 'https://other-client.example', 'sec-fetch-site': 'cross-site' };
    expect(send('POST', bearer).verdict.action).toBe('continue');
    expect(send('GET', { authorization: 'Bearer abc' }).headers.cookies).toEqual([]);
    expectRefused(send('POST', { ...bearer, cookie: `__Host-sid=${SID}` }), 'cross_site', events);
  });

  it('attack: HTTP Basic credentials (cached and sent by the browser) are not treated like a bearer token', () => {
    const { send, events } = setup();
    expectRefused(send('POST', { authorization: 'Basic dXNlcjpwYXNz', origin: 'https://evil.example' }), 'origin_not_allowed', events);
  });

  it('attack: login CSRF — a cookie-less cross-site POST to the login route is still checked', () => {
    const { send, events } = setup();
    expectRefused(send('POST', { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, '/login'), 'origin_not_allowed', events);
  });

  it('anonymous visitor: the GET token (bound to "no session") works for the login POST', () => {
    const { send } = setup();
    const page = send('GET', {}, '/login');
    const token = page.context.get(CSRF_TOKEN) ?? '';
    const outcome = send('POST', { cookie: `__Host-csrf=${token}`, 'x-csrf-token': token, origin: ORIGIN, 'sec-fetch-site': 'same-origin' }, '/login');
    expect(outcome.verdict.action).toBe('continue');
  });

  it('after a key rotation old tokens verify until their kid is retired', () => {
    const ring = KeyRing.generate();
    const { guard, send, events } = setup({}, ring);
    const old = guard.issueToken(SID).token;
    const oldKid = ring.active.kid;
    ring.rotate();
    expect(send('POST', sameOrigin(old)).verdict.action).toBe('continue');
    expect(send('POST', sameOrigin(guard.issueToken(SID).token)).verdict.action).toBe('continue');
    ring.retire(oldKid);
    expectRefused(send('POST', sameOrigin(old)), 'token_invalid', events);
    // A GET then heals the browser with a token under the new key.
    const healed = send('GET', { cookie: `__Host-sid=${SID}; __Host-csrf=${old}` }).context.get(CSRF_TOKEN) ?? '';
    expect(healed).toContain(`.${ring.active.kid}.`);
  });
});

describe('csrf guard: named loosenings', () => {
  it('exempt route continues by exact path and method, and emits http.csrf.exempted with the reason', () => {
    const { send, events } = setup({ exempt: [{ method: 'POST', path: '/webhooks/billing', reason: 'signed by the provider' }] });
    const cross = { cookie: `__Host-sid=${SID}`, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
    expect(send('POST', cross, '/webhooks/billing?x=1').verdict.action).toBe('continue');
    expect(events.at(-1)).toMatchObject({
      type: 'http.csrf.exempted',
      attributes: { method: 'POST', path: '/webhooks/billing', reason: 'signed by the provider' },
    });
    // Not a prefix, not another method, not another spelling.
    for (const [method, target] of [
      ['PUT', '/webhooks/billing'],
      ['POST', '/webhooks/billing/'],
      ['POST', '/webhooks/billing/../../orders'],
      ['POST', '/Webhooks/billing'],
      ['POST', '/webhooks/%62illing'],
    ] as const) {
      expectRefused(send(method, cross, target), 'cross_site', events);
    }
  });

  it('an exempt route without a method covers every unsafe method of that path', () => {
    const { send } = setup({ exempt: [{ path: '/hook', reason: 'HMAC-signed' }] });
    for (const method of ['POST', 'PUT', 'DELETE']) expect(send(method, { cookie: 'a=b' }, '/hook').verdict.action).toBe('continue');
  });

  it('allowSameSite accepts Sec-Fetch-Site: same-site, but the origin and the token are still checked', () => {
    const { guard, send, events } = setup({ allowSameSite: true, allowedOrigins: [ORIGIN, 'https://admin.app.example'] });
    const { token } = guard.issueToken(SID);
    expect(send('POST', { ...sameOrigin(token), origin: 'https://admin.app.example', 'sec-fetch-site': 'same-site' }).verdict.action).toBe('continue');
    expectRefused(send('POST', { ...sameOrigin(token), origin: 'https://ugc.app.example', 'sec-fetch-site': 'same-site' }), 'origin_not_allowed', events);
  });

  it('allowMissingOriginAndReferer lets a request without both through, but never without the token', () => {
    const { guard, send, events } = setup({ allowMissingOriginAndReferer: true });
    const { token } = guard.issueToken(SID);
    const { origin: _origin, ...headers } = sameOrigin(token);
    expect(send('POST', headers).verdict.action).toBe('continue');
    const { 'x-csrf-token': _token, ...noToken } = headers;
    expectRefused(send('POST', noToken), 'token_missing', events);
  });

  it('exposeTokenCookieToScripts drops HttpOnly only', () => {
    const { send } = setup({ exposeTokenCookieToScripts: true });
    const [cookie] = send('GET', {}).headers.cookies;
    expect(cookie).toMatch(/^__Host-csrf=[^;]+; Path=\/; Secure; SameSite=Lax$/);
  });

  it('custom cookie and header names, custom session binding', () => {
    const { guard, send } = setup({
      cookieName: 'xsrf',
      headerName: 'x-xsrf',
      sessionBinding: (request) => request.cookies.get('__Host-session'),
    });
    const { token, setCookie } = guard.issueToken('s1');
    expect(setCookie).toMatch(/^__Host-xsrf=/);
    const headers = { cookie: `__Host-session=s1; __Host-xsrf=${token}`, 'x-xsrf': token, origin: ORIGIN };
    expect(send('POST', headers).verdict.action).toBe('continue');
    expect(send('POST', { ...headers, cookie: `__Host-session=s2; __Host-xsrf=${token}` }).verdict.action).toBe('deny');
  });

  it('a custom cookieAuthenticated scope decides which requests are checked', () => {
    const { send } = setup({ cookieAuthenticated: (request) => request.cookies.has('__Host-sid') });
    expect(send('POST', { cookie: 'theme=dark', origin: 'https://evil.example' }).verdict.action).toBe('continue');
    expect(send('POST', { cookie: `__Host-sid=${SID}`, origin: 'https://evil.example' }).verdict.action).toBe('deny');
  });
});
