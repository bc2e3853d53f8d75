import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryTotpReplayStore, Totp } from '@rampart/core/mfa';
import { qrCodeMarkup } from './qr-svg.js';
import { PENDING_LOGIN_COOKIE } from './login.js';
import { totpCode } from '../../mfa/mfa.fixtures.js';
import { SESSION_COOKIE } from '../../auth/session-cookie.js';
import { BrowserClient } from '../../testing/browser-client.fixtures.js';
import { SERVER_BACKENDS, startTestServer, type TestServer } from '../../testing/server.fixtures.js';
import { mailedToken, TEST_PASSWORD } from '../../testing/users.fixtures.js';
import { accountWithPassword, comparable, csrfOf, newBrowser, submitForm } from './sign-in.fixtures.js';

const NEW_PASSWORD = 'amber lantern drifting past quiet harbours';

describe('the QR code markup', () => {
  let QR_TEST_SVG = '';
  beforeAll(async () => {
    // What core's TOTP enrollment hands the page (the `qrcode` library's SVG), for an address with markup in it.
    const totp = new Totp({ issuer: 'id.example.com', replayStore: new MemoryTotpReplayStore() });
    QR_TEST_SVG = (await totp.enroll({ label: '"><script>alert(1)</script>@example.test' })).qrSvg;
  });

  it('is rebuilt from the QR library\'s output', () => {
    const markup = qrCodeMarkup(QR_TEST_SVG, 'QR code')?.toString() ?? '';
    // Attribute values are attribute-encoded (`&#x20;` for a space): what an HTML parser reads back is the library's SVG.
    const decoded = markup.replace(/&#x([0-9a-f]+);/gi, (_m, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)));
    expect(decoded).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+" shape-rendering="crispEdges" role="img" aria-label="QR code"><path fill="#ffffff" d="M0 0h\d+v\d+H0z"\/><path stroke="#000000" d="M[^"]+"\/><\/svg>$/);
    expect(markup).not.toMatch(/script/i);
  });

  it('attack: SVG with anything the library does not emit is refused, never passed through', () => {
    const variants = [
      QR_TEST_SVG.replace('<path fill', '<script>alert(1)</script><path fill'),
      QR_TEST_SVG.replace('<svg ', '<svg onload="alert(1)" '),
      QR_TEST_SVG.replace('fill="#ffffff"', 'fill="url(javascript:alert(1))"'),
      QR_TEST_SVG.replace('d="M0 0', 'd="M0 0"/><a href="javascript:alert(1)"><path d="M0'),
      QR_TEST_SVG.replace('</svg>', '<foreignObject><iframe src="https://evil.example"></iframe></foreignObject></svg>'),
      QR_TEST_SVG.replace('shape-rendering="crispEdges"', 'shape-rendering="crispEdges" style="background:url(//evil.example)"'),
      `${QR_TEST_SVG}<img src=x onerror=alert(1)>`,
    ];
    for (const svg of variants) expect(qrCodeMarkup(svg, 'QR code')).toBeUndefined();
  });
});

describe.each(SERVER_BACKENDS)('sign-in pages on $name', ({ backend, skip }) => {
  let t: TestServer;
  beforeAll(async () => {
    if (skip) return;
    t = await startTestServer({ backend });
  });
  afterAll(async () => {
    if (!skip) await t.close();
  });

  /** Signs `email` in through the login form; returns the browser and the answer. */
  async function signIn(email: string, password = TEST_PASSWORD, next?: string) {
    const browser = newBrowser(t);
    const answer = await submitForm(browser, '/login', '/login', { email, password, ...(next === undefined ? {} : { next }) });
    return { browser, answer };
  }

  /** Enrolls TOTP through the page for a browser that signed in moments ago; returns the secret. */
  async function enrollTotp(browser: BrowserClient): Promise<{ secret: string; page: string; headers: Headers }> {
    const started = await submitForm(browser, '/account/security/totp', '/account/security/totp', { action: 'start' });
    expect(started.status).toBe(200);
    const secret = /data-secret="([A-Z2-7]+)"/.exec(started.text)?.[1] ?? '';
    expect(secret).not.toBe('');
    const confirmed = await browser.request('POST', '/account/security/totp', { form: { action: 'confirm', code: totpCode(secret, t.clock.now()), _csrf: csrfOf(started.text) }, withoutCsrfToken: true });
    expect(confirmed.status).toBe(200);
    return { secret, page: confirmed.text, headers: confirmed.headers };
  }

  it.skipIf(skip)('register → the same "check your mail" redirect for a new and a taken address; the link verifies once', async () => {
    const fresh = await submitForm(newBrowser(t), '/register', '/register', { email: 'page-new@example.test', password: TEST_PASSWORD });
    const taken = await submitForm(newBrowser(t), '/register', '/register', { email: 'page-new@example.test', password: NEW_PASSWORD });
    for (const answer of [fresh, taken]) {
      expect(answer.status).toBe(303);
      expect(answer.headers.get('location')).toBe('/register/check-mail');
      expect(answer.text).toBe('');
    }
    const token = await mailedToken(t, 'page-new@example.test', 'reset-password'); // the taken address: the owner is mailed a reset link
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const verifyMail = t.mails.find((m) => m.to === 'page-new@example.test' && m.kind === 'verify_email');
    const verifyToken = /#token=([A-Za-z0-9_-]+)/.exec(verifyMail?.text ?? '')?.[1] ?? '';
    const browser = newBrowser(t);
    const page = await browser.request('GET', '/verify-email');
    expect(page.text).toMatch(/<script src="[^"]*link-token\.js" nonce="[^"]+" defer><\/script>/);
    expect(page.text).toContain('data-link-token="submit"');
    const verified = await browser.request('POST', '/verify-email', { form: { token: verifyToken, _csrf: csrfOf(page.text) }, withoutCsrfToken: true });
    expect(verified.status).toBe(303);
    expect(verified.headers.get('location')).toBe('/login?notice=verified');
    const again = await submitForm(newBrowser(t), '/verify-email', '/verify-email', { token: verifyToken });
    expect(again.status).toBe(400);
    expect(again.text).toContain('role="alert"');
    const row = await t.server.database.db.selectFrom('rampart_users').select('password_hash').where('email_normalized', '=', 'page-new@example.test').executeTakeFirstOrThrow();
    // The taken-address registration did not touch the account: the first password still signs in.
    expect((await signIn('page-new@example.test')).answer.headers.get('location')).toBe('/account');
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
  });

  it.skipIf(skip)('a weak password is refused with what to change, and never echoed', async () => {
    const answer = await submitForm(newBrowser(t), '/register', '/register', { email: 'weak@example.test', password: 'password1234' });
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('role="alert"');
    expect(answer.text).toContain('attackers try first');
    expect(answer.text).not.toContain('password1234');
    expect(answer.text).toContain('value="weak&#x40;example.test"');
    expect(await t.server.database.db.selectFrom('rampart_users').select('id').where('email_normalized', '=', 'weak@example.test').executeTakeFirst()).toBeUndefined();
  });

  it.skipIf(skip)('attack: mass assignment through a form field is refused and nothing is created', async () => {
    const answer = await submitForm(newBrowser(t), '/register', '/register', { email: 'mass@example.test', password: TEST_PASSWORD, role: 'admin' });
    expect(answer.status).toBe(400);
    expect(await t.server.database.db.selectFrom('rampart_users').select('id').where('email_normalized', '=', 'mass@example.test').executeTakeFirst()).toBeUndefined();
  });

  it.skipIf(skip)('sign-in without a second factor: a new session, the CSRF token re-bound, 303 to /account; sign-out ends it', async () => {
    await accountWithPassword(t, 'plain@example.test');
    const { browser, answer } = await signIn('plain@example.test');
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/account');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const sessionId = browser.sessionId ?? '';
    expect(sessionId).not.toBe('');
    expect((await browser.request('GET', '/v1/identity')).body).toMatchObject({ source: 'session', amr: ['pwd'] });
    const home = await browser.request('GET', '/');
    const out = await browser.request('POST', '/logout', { form: { _csrf: csrfOf(home.text) }, withoutCsrfToken: true });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/');
    expect(browser.sessionId).toBeUndefined();
    expect((await t.server.sessions.validate(sessionId)).ok).toBe(false);
  });

  it.skipIf(skip)('attack: session fixation — a session id planted before sign-in is dead afterwards', async () => {
    await accountWithPassword(t, 'fixation@example.test');
    const planted = await t.server.sessions.login(undefined, (await accountWithPassword(t, 'attacker-fix@example.test')), { data: { authTime: t.clock.now(), amr: ['pwd'], fullyAuthenticatedAt: t.clock.now() } });
    if (!planted.ok) throw new Error('no session');
    const browser = newBrowser(t);
    browser.setCookie(SESSION_COOKIE, planted.value.id);
    const answer = await submitForm(browser, '/login', '/login', { email: 'fixation@example.test', password: TEST_PASSWORD });
    expect(answer.status).toBe(303);
    expect(browser.sessionId).not.toBe(planted.value.id);
    expect((await t.server.sessions.validate(planted.value.id)).ok).toBe(false);
  });

  it.skipIf(skip)('TOTP: enrollment needs a recent authentication, shows the QR and the secret, and the backup codes once (no-store)', async () => {
    await accountWithPassword(t, 'totp@example.test');
    const anonymous = await newBrowser(t).request('GET', '/account/security/totp');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/login?next=%2Faccount%2Fsecurity%2Ftotp');
    const { browser } = await signIn('totp@example.test');
    const started = await submitForm(browser, '/account/security/totp', '/account/security/totp', { action: 'start' });
    expect(started.headers.get('cache-control')).toBe('no-store');
    expect(started.text).toMatch(/<li class="qr"><svg [^>]*role="img"/);
    expect(started.text).toContain('autocomplete="one-time-code"');
    const secret = /data-secret="([A-Z2-7]+)"/.exec(started.text)?.[1] ?? '';
    const wrong = await browser.request('POST', '/account/security/totp', { form: { action: 'confirm', code: '000000', _csrf: csrfOf(started.text) }, withoutCsrfToken: true });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('role="alert"');
    const confirmed = await browser.request('POST', '/account/security/totp', { form: { action: 'confirm', code: totpCode(secret, t.clock.now()), _csrf: csrfOf(started.text) }, withoutCsrfToken: true });
    expect(confirmed.status).toBe(200);
    expect(confirmed.headers.get('cache-control')).toBe('no-store');
    expect(confirmed.text.match(/<li><code>[a-z0-9-]+<\/code><\/li>/g)).toHaveLength(10);
    const factors = await browser.request('GET', '/v1/mfa');
    expect(factors.body).toMatchObject({ totp: { enrolled: true }, backupCodes: { remaining: 10 } });
  });

  it.skipIf(skip)('sign-in with TOTP: the pending login rides in a __Host- HttpOnly cookie, never in the URL; the code finishes it', async () => {
    await accountWithPassword(t, 'mfa@example.test');
    const first = await signIn('mfa@example.test');
    const { secret } = await enrollTotp(first.browser);
    t.clock.advance(30_000);
    const browser = newBrowser(t);
    const page = await browser.request('GET', '/login');
    const password = await browser.request('POST', '/login', { form: { email: 'mfa@example.test', password: TEST_PASSWORD, _csrf: csrfOf(page.text) }, withoutCsrfToken: true });
    expect(password.status).toBe(303);
    expect(password.headers.get('location')).toBe('/login/second-factor');
    const cookie = password.headers.getSetCookie().find((c) => c.startsWith(`${PENDING_LOGIN_COOKIE}=`)) ?? '';
    expect(cookie).toMatch(/; Path=\/; Max-Age=300; Secure; HttpOnly; SameSite=Lax$/);
    expect(browser.sessionId).toBeUndefined();
    const form = await browser.request('GET', '/login/second-factor');
    expect(form.status).toBe(200);
    expect(form.text).toContain('value="totp"');
    expect(form.text).toContain('value="backup_code"');
    expect(form.text).not.toContain('data-passkey');
    const wrong = await browser.request('POST', '/login/second-factor', { form: { method: 'totp', code: '000000', _csrf: csrfOf(form.text) }, withoutCsrfToken: true });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('The code is not valid');
    expect(browser.sessionId).toBeUndefined();
    const done = await browser.request('POST', '/login/second-factor', { form: { method: 'totp', code: totpCode(secret, t.clock.now()), _csrf: csrfOf(wrong.text) }, withoutCsrfToken: true });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/account');
    expect(browser.cookie(PENDING_LOGIN_COOKIE)).toBeUndefined();
    expect((await browser.request('GET', '/v1/identity')).body).toMatchObject({ amr: ['pwd', 'otp', 'mfa'] });
  });

  it.skipIf(skip)('attack: a replayed pending-login cookie and an expired one are refused; the second step is no shortcut', async () => {
    await accountWithPassword(t, 'mfa-replay@example.test');
    const { secret } = await enrollTotp((await signIn('mfa-replay@example.test')).browser);
    t.clock.advance(30_000);
    const browser = newBrowser(t);
    await submitForm(browser, '/login', '/login', { email: 'mfa-replay@example.test', password: TEST_PASSWORD });
    const token = browser.cookie(PENDING_LOGIN_COOKIE) ?? '';
    const done = await submitForm(browser, '/login/second-factor', '/login/second-factor', { method: 'totp', code: totpCode(secret, t.clock.now()) });
    expect(done.status).toBe(303);
    // The same cookie in another browser after it was spent: nothing to continue.
    const thief = newBrowser(t);
    const loginPage = await thief.request('GET', '/login');
    thief.setCookie(PENDING_LOGIN_COOKIE, token);
    t.clock.advance(30_000);
    const replay = await thief.request('POST', '/login/second-factor', { form: { method: 'totp', code: totpCode(secret, t.clock.now()), _csrf: csrfOf(loginPage.text) }, withoutCsrfToken: true });
    expect(replay.status).toBe(401);
    expect(replay.text).toContain('expired or was already used');
    expect(thief.sessionId).toBeUndefined();
    expect(thief.cookie(PENDING_LOGIN_COOKIE)).toBeUndefined();
    // Expiry: five minutes after the password, the pending login is gone.
    const late = newBrowser(t);
    await submitForm(late, '/login', '/login', { email: 'mfa-replay@example.test', password: TEST_PASSWORD });
    t.clock.advance(5 * 60_000 + 1000);
    expect((await late.request('GET', '/login/second-factor')).status).toBe(400);
  });

  it.skipIf(skip)('step-up: a stale session is sent to /step-up and back; a wrong password changes nothing', async () => {
    await accountWithPassword(t, 'stepup@example.test');
    const { browser } = await signIn('stepup@example.test');
    t.clock.advance(11 * 60_000);
    const stale = await browser.request('GET', '/account/security/totp');
    expect(stale.status).toBe(303);
    expect(stale.headers.get('location')).toBe('/step-up?next=%2Faccount%2Fsecurity%2Ftotp');
    const before = browser.sessionId;
    const wrong = await submitForm(browser, '/step-up?next=%2Faccount%2Fsecurity%2Ftotp', '/step-up', { password: 'not the password at all', next: '/account/security/totp' });
    expect(wrong.status).toBe(403);
    expect(wrong.text).toContain('role="alert"');
    expect(wrong.text).not.toContain('not the password at all');
    expect(browser.sessionId).toBe(before);
    const right = await submitForm(browser, '/step-up?next=%2Faccount%2Fsecurity%2Ftotp', '/step-up', { password: TEST_PASSWORD, next: '/account/security/totp' });
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/account/security/totp');
    expect(browser.sessionId).not.toBe(before);
    expect((await browser.request('GET', '/account/security/totp')).status).toBe(200);
  });

  it.skipIf(skip)('attack: open redirect through next — every variant ends on a local path', async () => {
    await accountWithPassword(t, 'redirect@example.test');
    const evil = ['//evil.example', 'https://evil.example', '/\\evil.example', '%2F%2Fevil.example', '/%2F%2Fevil.example', 'javascript:alert(1)', '\\/evil.example', '/\t/evil.example'];
    for (const next of evil) {
      const { browser, answer } = await signIn('redirect@example.test', TEST_PASSWORD, next);
      expect(answer.status).toBe(303);
      const location = answer.headers.get('location') ?? '';
      expect(location.startsWith('/') && !location.startsWith('//') && !location.includes('\\')).toBe(true);
      expect(new URL(location, t.url).origin).toBe(new URL(t.url).origin);
      // The step-up page and the login page's hidden field take the same policy.
      const stepUp = await submitForm(browser, `/step-up?next=${encodeURIComponent(next)}`, '/step-up', { password: TEST_PASSWORD, next });
      expect(new URL(stepUp.headers.get('location') ?? 'x:', t.url).origin).toBe(new URL(t.url).origin);
      const loginPage = await newBrowser(t).request('GET', `/login?next=${encodeURIComponent(next)}`);
      expect(loginPage.text).not.toContain('evil.example');
    }
    const local = await signIn('redirect@example.test', TEST_PASSWORD, '/account/sessions');
    expect(local.answer.headers.get('location')).toBe('/account/sessions');
  });

  it.skipIf(skip)('attack: enumeration — register, sign-in and forgot-password answer the same for known and unknown addresses', async () => {
    await accountWithPassword(t, 'known@example.test');
    const unknown = await submitForm(newBrowser(t), '/login', '/login', { email: 'nobody@example.test', password: TEST_PASSWORD });
    const wrong = await submitForm(newBrowser(t), '/login', '/login', { email: 'known@example.test', password: 'wrong password entirely here' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(comparable(wrong.text).replace('value="known&#x40;', 'value="nobody&#x40;')).toBe(comparable(unknown.text));
    const forgotKnown = await submitForm(newBrowser(t), '/forgot-password', '/forgot-password', { email: 'known@example.test' });
    const forgotUnknown = await submitForm(newBrowser(t), '/forgot-password', '/forgot-password', { email: 'nobody@example.test' });
    for (const answer of [forgotKnown, forgotUnknown]) {
      expect(answer.status).toBe(303);
      expect(answer.headers.get('location')).toBe('/forgot-password/check-mail');
      expect(answer.text).toBe('');
    }
    const registerKnown = await submitForm(newBrowser(t), '/register', '/register', { email: 'known@example.test', password: NEW_PASSWORD });
    const registerUnknown = await submitForm(newBrowser(t), '/register', '/register', { email: 'nobody2@example.test', password: NEW_PASSWORD });
    expect([registerKnown.status, registerKnown.headers.get('location')]).toEqual([registerUnknown.status, registerUnknown.headers.get('location')]);
  });

  it.skipIf(skip)('password reset through the pages: weak password keeps the link, a good one changes the password and ends every session', async () => {
    await accountWithPassword(t, 'reset@example.test');
    const { browser: signedIn } = await signIn('reset@example.test');
    const oldSession = signedIn.sessionId ?? '';
    await submitForm(newBrowser(t), '/forgot-password', '/forgot-password', { email: 'reset@example.test' });
    const token = await mailedToken(t, 'reset@example.test', 'reset-password');
    const browser = newBrowser(t);
    const page = await browser.request('GET', '/reset-password');
    expect(page.text).toContain('autocomplete="new-password"');
    expect(page.text).toMatch(/<script src="[^"]*link-token\.js" nonce="[^"]+" defer><\/script>/);
    const weak = await browser.request('POST', '/reset-password', { form: { token, password: 'password1234', _csrf: csrfOf(page.text) }, withoutCsrfToken: true });
    expect(weak.status).toBe(400);
    expect(weak.text).toContain(`value="${token}"`);
    expect(weak.headers.get('cache-control')).toBe('no-store');
    const done = await browser.request('POST', '/reset-password', { form: { token, password: NEW_PASSWORD, _csrf: csrfOf(weak.text) }, withoutCsrfToken: true });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/login?notice=password_changed');
    expect((await t.server.sessions.validate(oldSession)).ok).toBe(false);
    expect((await signIn('reset@example.test', NEW_PASSWORD)).answer.headers.get('location')).toBe('/account');
    const reused = await submitForm(newBrowser(t), '/reset-password', '/reset-password', { token, password: 'another strong passphrase for reuse' });
    expect(reused.status).toBe(400);
    expect(reused.text).toContain('invalid, expired or already used');
  });

  it.skipIf(skip)('attack: XSS — an address or a next value with markup is encoded, never markup', async () => {
    const payload = '"><script>alert(1)</script><img src=x onerror=alert(2)>@example.test';
    for (const [page, action] of [['/register', '/register'], ['/login', '/login'], ['/forgot-password', '/forgot-password']] as const) {
      const answer = await submitForm(newBrowser(t), page, action, { email: payload, password: TEST_PASSWORD });
      expect(answer.status).toBe(400);
      expect(answer.text).not.toContain('<script>alert');
      expect(answer.text).not.toContain('<img src=x');
      // The address comes back inside the value attribute, encoded: it cannot close the attribute or open a tag.
      expect(answer.text).toMatch(/<input id="email" name="email" type="email" required maxlength="254" autocomplete="email" value="[^"<>]*script[^"<>]*">/);
    }
    const reflected = await newBrowser(t).request('GET', `/login?next=${encodeURIComponent('/a"><script>alert(1)</script>')}`);
    expect(reflected.text).not.toContain('<script>alert');
  });

  it.skipIf(skip)('attack: CSRF on every form — cross-site origin, no _csrf, another browser\'s token → 403, nothing done', async () => {
    await accountWithPassword(t, 'csrf@example.test');
    const forms: readonly [string, string, Record<string, string>][] = [
      ['/register', '/register', { email: 'csrf-new@example.test', password: TEST_PASSWORD }],
      ['/verify-email', '/verify-email', { token: 'A'.repeat(43) }],
      ['/login', '/login', { email: 'csrf@example.test', password: TEST_PASSWORD }],
      ['/forgot-password', '/forgot-password', { email: 'csrf@example.test' }],
      ['/reset-password', '/reset-password', { token: 'A'.repeat(43), password: NEW_PASSWORD }],
      ['/', '/logout', {}],
      ['/step-up', '/step-up', { password: TEST_PASSWORD }],
      ['/account/security/totp', '/account/security/totp', { action: 'start' }],
      ['/', '/login/second-factor', { method: 'totp', code: '123456' }],
    ];
    const mailsBefore = t.mails.length;
    for (const [pagePath, action, fields] of forms) {
      const victim = (await signIn('csrf@example.test')).browser;
      const attacker = newBrowser(t);
      const attackerToken = csrfOf((await attacker.request('GET', '/login')).text);
      const page = await victim.request('GET', pagePath);
      const token = csrfOf(page.text);
      const sessionBefore = victim.sessionId;
      const crossSite = await victim.request('POST', action, { form: { ...fields, _csrf: token }, withoutCsrfToken: true, headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } });
      const missing = await victim.request('POST', action, { form: fields, withoutCsrfToken: true });
      const foreign = await victim.request('POST', action, { form: { ...fields, _csrf: attackerToken }, withoutCsrfToken: true });
      for (const answer of [crossSite, missing, foreign]) {
        expect(answer.status, action).toBe(403);
        expect(answer.headers.get('content-type')).toContain('application/problem+json');
      }
      expect(victim.sessionId).toBe(sessionBefore);
    }
    expect(await t.server.database.db.selectFrom('rampart_users').select('id').where('email_normalized', '=', 'csrf-new@example.test').executeTakeFirst()).toBeUndefined();
    await t.server.accounts.outbox.idle();
    expect(t.mails.slice(mailsBefore).filter((m) => m.to.startsWith('csrf'))).toEqual([]);
  });

  it.skipIf(skip)('attack: login CSRF — a cross-site form posting the attacker\'s credentials signs nobody in', async () => {
    await accountWithPassword(t, 'login-csrf@example.test');
    const victim = newBrowser(t);
    await victim.request('GET', '/');
    const forged = await victim.request('POST', '/login', {
      form: { email: 'login-csrf@example.test', password: TEST_PASSWORD },
      withoutCsrfToken: true,
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(forged.status).toBe(403);
    expect((forged.body as { code: string }).code).toBe('csrf.cross_site');
    expect(victim.sessionId).toBeUndefined();
    // A browser that sends no Origin (a privacy proxy strips it) still carries its cookies: the token is still required.
    const noOrigin = await fetch(`${t.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: victim.cookieHeader() },
      body: new URLSearchParams({ email: 'login-csrf@example.test', password: TEST_PASSWORD, _csrf: 'forged' }).toString(),
      redirect: 'manual',
    });
    expect(noOrigin.status).toBe(403);
    expect(noOrigin.headers.getSetCookie().some((c) => c.startsWith(SESSION_COOKIE))).toBe(false);
  });
});
