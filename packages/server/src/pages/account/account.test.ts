import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticatorFor, insertedUser, registerPasskey } from '../../mfa/mfa.fixtures.js';
import { BrowserClient, browserSignedInAs, type JsonResponse } from '../../testing/browser-client.fixtures.js';
import { SERVER_BACKENDS, startTestServer, type TestServer } from '../../testing/server.fixtures.js';

const ELEVEN_MINUTES = 11 * 60_000;
const CROSS_SITE = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
const MARKUP = '<img src=x onerror="alert(1)">';

interface KeyList {
  readonly keys: { id: string; name: string | null; revokedAt: string | null }[];
}
interface PasskeyList {
  readonly passkeys: { id: string; name: string | null }[];
}
interface SessionList {
  readonly sessions: { handle: string; current: boolean }[];
}

/** Posts `fields` the way an HTML form does: urlencoded, the token in the `_csrf` field (not a header). */
async function submit(browser: BrowserClient, path: string, fields: Record<string, string>): Promise<JsonResponse> {
  return browser.request('POST', path, { form: { _csrf: await browser.csrfToken(), ...fields }, withoutCsrfToken: true });
}

/** The value of every hidden input `name` on a page. */
function hiddenValues(page: string, name: string): string[] {
  return [...page.matchAll(new RegExp(`name="${name}" value="([^"]*)"`, 'g'))].map((match) => match[1] ?? '');
}

describe.each(SERVER_BACKENDS)('account pages on $name', ({ backend, skip }) => {
  let t: TestServer;
  let seq = 0;
  beforeAll(async () => {
    if (skip) return;
    // localhost: a WebAuthn origin, so the passkey parts of the pages are on.
    t = await startTestServer({ backend, publicHost: 'localhost' });
  });
  afterAll(async () => {
    if (!skip) await t.close();
  });

  /** A verified account (written straight into the database) and a browser signed in to it just now. */
  async function signedIn(email?: string): Promise<{ userId: string; browser: BrowserClient }> {
    seq += 1;
    const userId = await insertedUser(t, email ?? `account-page-${seq}@example.test`);
    return { userId, browser: await browserSignedInAs(t, userId) };
  }

  async function keysOf(browser: BrowserClient): Promise<KeyList['keys']> {
    return ((await browser.request('GET', '/v1/api-keys')).body as KeyList).keys;
  }
  async function passkeysOf(browser: BrowserClient): Promise<PasskeyList['passkeys']> {
    return ((await browser.request('GET', '/v1/mfa/passkeys')).body as PasskeyList).passkeys;
  }
  async function sessionsOf(browser: BrowserClient): Promise<SessionList['sessions']> {
    return ((await browser.request('GET', '/v1/sessions')).body as SessionList).sessions;
  }

  it.skipIf(skip)('attack: anonymous browsers are sent to sign in, from every page and every form', async () => {
    const anonymous = new BrowserClient(t.url);
    for (const path of ['/account', '/account/sessions', '/account/api-keys', '/account/security']) {
      const response = await anonymous.request('GET', path);
      expect(response.status, path).toBe(303);
      expect(response.headers.get('location')).toBe('/login');
    }
    for (const path of ['/account/sessions/revoke', '/account/sessions/revoke-others', '/account/api-keys', '/account/api-keys/revoke', '/account/security/backup-codes', '/account/security/passkeys/remove']) {
      const response = await submit(anonymous, path, {});
      expect(response.status, path).toBe(303);
      expect(response.headers.get('location')).toBe('/login');
    }
  });

  it.skipIf(skip)('the overview shows the address, its verification and the factors, under the strict CSP, never cached', async () => {
    const { browser } = await signedIn();
    const page = await browser.request('GET', '/account');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('cache-control')).toContain('no-store');
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'nonce-/);
    expect(page.text).toContain(`account-page-${seq}@example.test`);
    expect(page.text).toMatch(/Address verified<\/dt><dd>Yes/);
    expect(page.text).toMatch(/Authenticator app<\/dt><dd>Not set up/);
    expect(page.text).toMatch(/Passkeys<\/dt><dd>0/);
    for (const link of ['/account/security', '/account/sessions', '/account/api-keys']) expect(page.text).toContain(`href="${link}"`);
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)/i);
    expect(page.text).not.toMatch(/\sstyle=|<style/i);
  });

  it.skipIf(skip)('attack: XSS — an address with markup is encoded on the overview', async () => {
    const { browser } = await signedIn(`"><script>alert(1)</script>${seq + 1}@example.test`);
    const page = await browser.request('GET', '/account');
    expect(page.text).not.toContain('<script>alert(1)</script>');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  describe('sessions', () => {
    it.skipIf(skip)('lists the sessions by handle (never an id), ends one, and ends all the others', async () => {
      const { userId, browser } = await signedIn();
      const laptop = await browserSignedInAs(t, userId);
      const phone = await browserSignedInAs(t, userId);
      const page = await browser.request('GET', '/account/sessions');
      expect(page.status).toBe(200);
      expect(page.text).toContain('<th scope="col">Signed in</th>');
      expect(page.text).toContain('This browser');
      for (const other of [browser, laptop, phone]) expect(page.text).not.toContain(other.sessionId ?? '-');
      const handles = hiddenValues(page.text, 'handle');
      expect(handles).toHaveLength(3);
      // The form's own token (the hidden field on the page) is what a browser posts.
      const token = hiddenValues(page.text, '_csrf')[0] ?? '';
      const laptopHandle = (await sessionsOf(laptop)).find((s) => s.current)?.handle ?? '';
      const ended = await browser.request('POST', '/account/sessions/revoke', { form: { _csrf: token, handle: laptopHandle }, withoutCsrfToken: true });
      expect(ended.status).toBe(303);
      expect(ended.headers.get('location')).toBe('/account/sessions?notice=session-ended');
      expect((await laptop.request('GET', '/v1/sessions')).status).toBe(401);
      const after = await browser.request('GET', '/account/sessions?notice=session-ended');
      expect(after.text).toContain('role="status">The session was signed out.');

      const others = await submit(browser, '/account/sessions/revoke-others', {});
      expect(others.status).toBe(303);
      expect((await phone.request('GET', '/v1/sessions')).status).toBe(401);
      expect(await sessionsOf(browser)).toHaveLength(1);
    });

    it.skipIf(skip)('signing out the current session clears its cookie and goes to the sign-in page', async () => {
      const { browser } = await signedIn();
      const own = (await sessionsOf(browser))[0]?.handle ?? '';
      const response = await submit(browser, '/account/sessions/revoke', { handle: own });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/login');
      expect(browser.sessionId).toBeUndefined();
    });

    it.skipIf(skip)('a browser whose session ended elsewhere: pages send it to sign in and clear the cookie; the API still answers 401; nothing acts for it', async () => {
      const { userId, browser: survivor } = await signedIn();
      const onPage = await browserSignedInAs(t, userId);
      const onForm = await browserSignedInAs(t, userId);
      const onApi = await browserSignedInAs(t, userId);
      const formToken = await onForm.csrfToken();
      const keysBefore = (await keysOf(survivor)).length;
      expect((await submit(survivor, '/account/sessions/revoke-others', {})).status).toBe(303);

      const page = await onPage.request('GET', '/account/sessions');
      expect(page.status).toBe(303);
      expect(page.headers.get('location')).toBe('/login');
      expect(page.headers.getSetCookie().some((line) => line.startsWith('__Host-rampart_session=;'))).toBe(true);
      expect(onPage.sessionId).toBeUndefined();
      // The sign-in page itself now renders for it, as for any signed-out browser.
      expect((await onPage.request('GET', '/login')).status).toBe(200);

      // A form posted with the dead session (and the token it held) creates nothing: it is sent to sign in too.
      const form = await onForm.request('POST', '/account/api-keys', { form: { _csrf: formToken, name: 'after the end' }, withoutCsrfToken: true });
      expect(form.status).toBe(303);
      expect(form.headers.get('location')).toBe('/login');
      expect(await keysOf(survivor)).toHaveLength(keysBefore);

      const api = await onApi.request('GET', '/v1/sessions');
      expect(api.status).toBe(401);
      expect(api.headers.get('content-type')).toContain('application/problem+json');
      expect((api.body as { code: string }).code).toBe('auth.session_invalid');
      expect(onApi.sessionId).toBeUndefined();
    });

    it.skipIf(skip)("attack: IDOR — another user's session handle, or a made-up one, ends nothing and reads as not found", async () => {
      const alice = await signedIn();
      const bob = await signedIn();
      const bobHandle = (await sessionsOf(bob.browser))[0]?.handle ?? '';
      for (const handle of [bobHandle, 'A'.repeat(22), '../../etc', '']) {
        const response = await submit(alice.browser, '/account/sessions/revoke', { handle });
        expect(response.status, handle).toBe(handle === '' ? 400 : 404);
        expect(response.text).toContain('role="alert"');
      }
      expect(await sessionsOf(bob.browser)).toHaveLength(1);
      expect(await sessionsOf(alice.browser)).toHaveLength(1);
    });
  });

  describe('API keys', () => {
    it.skipIf(skip)('creates a key after a recent sign-in and shows it once, on a page no cache keeps', async () => {
      const { browser } = await signedIn();
      const form = await browser.request('GET', '/account/api-keys');
      expect(form.status).toBe(200);
      expect(form.text).toContain('name="scopes" value="authz&#x3A;check"');
      expect(form.text).toContain('<legend>What the key may do</legend>');
      const created = await submit(browser, '/account/api-keys', { name: 'billing service', scopes: 'authz:check', lifetime: '30' });
      expect(created.status).toBe(200);
      expect(created.headers.get('cache-control')).toBe('no-store');
      expect(created.headers.get('pragma')).toBe('no-cache');
      const key = /value="(rpk_[A-Za-z0-9_]+)"/.exec(created.text)?.[1];
      expect(key).toBeDefined();
      // The key works (it is a real credential), and the list never shows it again.
      const check = await fetch(`${t.url}/v1/authz/check`, { method: 'POST', headers: { authorization: `Bearer ${key ?? ''}`, 'content-type': 'application/json' }, body: '{}' });
      expect(check.status).not.toBe(401);
      const list = await browser.request('GET', '/account/api-keys');
      expect(list.text).toContain('billing service');
      expect(list.text).not.toContain(key ?? '-');
      const [listed] = await keysOf(browser);
      expect(listed?.name).toBe('billing service');

      const noScope = await submit(browser, '/account/api-keys', { name: 'no scope', lifetime: '90' });
      expect(noScope.status).toBe(400);
      expect(await keysOf(browser)).toHaveLength(1);
    });

    it.skipIf(skip)('attack: a stale session is sent to step up, and no key is created', async () => {
      const { browser } = await signedIn();
      t.clock.advance(ELEVEN_MINUTES);
      const response = await submit(browser, '/account/api-keys', { name: 'backdoor', scopes: 'authz:check', lifetime: '365' });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/step-up?next=%2Faccount%2Fapi-keys');
      expect(await keysOf(browser)).toEqual([]);
      expect((await browser.request('GET', '/account/api-keys')).text).toContain('asks you to confirm your password');
    });

    it.skipIf(skip)('attack: mass assignment — a subject, a prefix or an open lifetime in the form creates nothing', async () => {
      const alice = await signedIn();
      const bob = await signedIn();
      const extras: readonly Record<string, string>[] = [{ subject: bob.userId }, { neverExpires: 'true' }, { prefix: 'sk' }, { lifetime: '100000' }, { scopes: 'admin' }];
      for (const extra of extras) {
        const response = await submit(alice.browser, '/account/api-keys', { name: 'k', scopes: 'authz:check', lifetime: '90', ...extra });
        expect(response.status, JSON.stringify(extra)).toBe(400);
        expect(response.text).toContain('role="alert"');
      }
      expect(await keysOf(alice.browser)).toEqual([]);
      expect(await keysOf(bob.browser)).toEqual([]);
    });

    it.skipIf(skip)("attack: IDOR — revoking another account's key by its id is 'not found' and the key keeps working", async () => {
      const alice = await signedIn();
      const bob = await signedIn();
      expect((await submit(bob.browser, '/account/api-keys', { name: 'bob key', scopes: 'authz:check', lifetime: '90' })).status).toBe(200);
      const bobKey = (await keysOf(bob.browser))[0]?.id ?? '';
      const response = await submit(alice.browser, '/account/api-keys/revoke', { id: bobKey });
      expect(response.status).toBe(404);
      expect(response.text).toContain('No such API key.');
      expect((await keysOf(bob.browser))[0]?.revokedAt).toBeNull();
      const own = await submit(bob.browser, '/account/api-keys/revoke', { id: bobKey });
      expect(own.status).toBe(303);
      expect(own.headers.get('location')).toBe('/account/api-keys?notice=key-revoked');
      expect((await keysOf(bob.browser))[0]?.revokedAt).not.toBeNull();
    });

    it.skipIf(skip)('attack: XSS — a key name with markup is encoded in the list and on the one-time page', async () => {
      const { browser } = await signedIn();
      const created = await submit(browser, '/account/api-keys', { name: MARKUP, scopes: 'authz:explain', lifetime: '90' });
      expect(created.status).toBe(200);
      for (const page of [created.text, (await browser.request('GET', '/account/api-keys')).text]) {
        expect(page).not.toContain(MARKUP);
        expect(page).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
      }
    });
  });

  describe('security', () => {
    it.skipIf(skip)('shows the factors, links to the authenticator-app setup, and renders the passkey button with its script', async () => {
      const { browser } = await signedIn();
      const page = await browser.request('GET', '/account/security');
      expect(page.status).toBe(200);
      expect(page.text).toContain('href="/account/security/totp"');
      expect(page.text).toContain('data-passkey="register"');
      expect(page.text).toMatch(/<script src="(?:\/|&#x2F;)assets(?:\/|&#x2F;)passkeys\.js" nonce="[^"]+" defer><\/script>/);
      expect(page.text).toContain('You have 0 left.');
    });

    it.skipIf(skip)('new backup codes after a recent sign-in: shown once (no-store), replacing the old set', async () => {
      const { browser } = await signedIn();
      const first = await submit(browser, '/account/security/backup-codes', {});
      expect(first.status).toBe(200);
      expect(first.headers.get('cache-control')).toBe('no-store');
      const codes = [...first.text.matchAll(/<li><code>([a-z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]);
      expect(codes).toHaveLength(10);
      const security = await browser.request('GET', '/account/security');
      expect(security.text).toContain('You have 10 left.');
      for (const code of codes) expect(security.text).not.toContain(code);
    });

    it.skipIf(skip)('attack: a stale session cannot make new backup codes or remove a passkey: sent to step up, nothing changes', async () => {
      const { browser } = await signedIn();
      expect((await submit(browser, '/account/security/backup-codes', {})).status).toBe(200);
      expect((await registerPasskey(browser, authenticatorFor(t))).status).toBe(201);
      const passkey = (await passkeysOf(browser))[0]?.id ?? '';
      t.clock.advance(ELEVEN_MINUTES);
      for (const [path, fields] of [['/account/security/backup-codes', {}], ['/account/security/passkeys/remove', { id: passkey }]] as const) {
        const response = await submit(browser, path, fields);
        expect(response.status, path).toBe(303);
        expect(response.headers.get('location')).toBe('/step-up?next=%2Faccount%2Fsecurity');
      }
      expect(await passkeysOf(browser)).toHaveLength(1);
      expect((await browser.request('GET', '/account/security')).text).toContain('You have 10 left.');
    });

    it.skipIf(skip)("attack: IDOR — removing another account's passkey is 'not found' and removes nothing; one's own goes", async () => {
      const alice = await signedIn();
      const bob = await signedIn();
      expect((await registerPasskey(bob.browser, authenticatorFor(t), 'bob laptop')).status).toBe(201);
      const bobPasskey = (await passkeysOf(bob.browser))[0]?.id ?? '';
      for (const id of [bobPasskey, 'A'.repeat(1400), 'not a credential id']) {
        const response = await submit(alice.browser, '/account/security/passkeys/remove', { id });
        expect(response.status).toBe(404);
        expect(response.text).toContain('No such passkey.');
      }
      expect(await passkeysOf(bob.browser)).toHaveLength(1);
      const own = await submit(bob.browser, '/account/security/passkeys/remove', { id: bobPasskey });
      expect(own.status).toBe(303);
      expect(own.headers.get('location')).toBe('/account/security?notice=passkey-removed');
      expect(await passkeysOf(bob.browser)).toEqual([]);
      expect(t.events.some((e) => e.type === 'mfa.webauthn.removed' && e.subject === bob.userId)).toBe(true);
    });

    it.skipIf(skip)('attack: XSS — a passkey name with markup is encoded', async () => {
      const { browser } = await signedIn();
      expect((await registerPasskey(browser, authenticatorFor(t), MARKUP)).status).toBe(201);
      const page = await browser.request('GET', '/account/security');
      expect(page.text).not.toContain(MARKUP);
      expect(page.text).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    });
  });

  it.skipIf(skip)('attack: CSRF — every form refuses a cross-site post, a post without _csrf, and another session\'s token; nothing changes', async () => {
    const victim = await signedIn();
    const attacker = await signedIn();
    expect((await registerPasskey(victim.browser, authenticatorFor(t))).status).toBe(201);
    expect((await submit(victim.browser, '/account/api-keys', { name: 'kept', scopes: 'authz:check', lifetime: '90' })).status).toBe(200);
    const second = await browserSignedInAs(t, victim.userId);
    const secondHandle = (await sessionsOf(second)).find((s) => s.current)?.handle ?? '';
    const keyId = (await keysOf(victim.browser))[0]?.id ?? '';
    const passkeyId = (await passkeysOf(victim.browser))[0]?.id ?? '';
    const attackerToken = await attacker.browser.csrfToken();
    const forms: readonly [string, Record<string, string>][] = [
      ['/account/sessions/revoke', { handle: secondHandle }],
      ['/account/sessions/revoke-others', {}],
      ['/account/api-keys', { name: 'csrf', scopes: 'authz:check', lifetime: '90' }],
      ['/account/api-keys/revoke', { id: keyId }],
      ['/account/security/backup-codes', {}],
      ['/account/security/passkeys/remove', { id: passkeyId }],
    ];
    for (const [path, fields] of forms) {
      const token = await victim.browser.csrfToken();
      const crossSite = await victim.browser.request('POST', path, { form: { _csrf: token, ...fields }, headers: CROSS_SITE, withoutCsrfToken: true });
      expect(crossSite.status, `${path} cross-site`).toBe(403);
      expect((crossSite.body as { code?: string }).code).toBe('csrf.cross_site');
      const missing = await victim.browser.request('POST', path, { form: fields, withoutCsrfToken: true });
      expect(missing.status, `${path} without _csrf`).toBe(403);
      const foreign = await victim.browser.request('POST', path, { form: { _csrf: attackerToken, ...fields }, withoutCsrfToken: true });
      expect(foreign.status, `${path} with another session's token`).toBe(403);
    }
    expect(await sessionsOf(victim.browser)).toHaveLength(2);
    expect(await keysOf(victim.browser)).toHaveLength(1);
    expect((await keysOf(victim.browser))[0]?.revokedAt).toBeNull();
    expect(await passkeysOf(victim.browser)).toHaveLength(1);
    expect((await victim.browser.request('GET', '/account/security')).text).toContain('You have 0 left.');
  });

  it.skipIf(skip)('GET /login/passkey offers the passkey sign-in button with its script; a signed-in browser goes to its account', async () => {
    const page = await new BrowserClient(t.url).request('GET', '/login/passkey');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<button type="button" data-passkey="login" data-passkey-next="/account">Sign in with a passkey</button>');
    expect(page.text).toMatch(/<meta name="csrf-token" content="[^"]+">/);
    expect(page.text).toContain('<noscript>');
    const { browser } = await signedIn();
    const signedInPage = await browser.request('GET', '/login/passkey');
    expect(signedInPage.status).toBe(303);
    expect(signedInPage.headers.get('location')).toBe('/account');
  });
});
