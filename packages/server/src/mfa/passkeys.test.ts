import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient, browserSignedInAs } from '../testing/browser-client.fixtures.js';
import { SERVER_BACKENDS, type TestServer } from '../testing/server.fixtures.js';
import { TEST_PASSWORD } from '../testing/users.fixtures.js';
import {
  authenticatorFor,
  codeOf,
  insertedUser,
  otherSigningKey,
  registerPasskey,
  registrationOptions,
  requestOptionsOf,
  startPasskeyServer,
  verifiedUser,
  type SoftAuthenticator,
} from './mfa.fixtures.js';

const ELEVEN_MINUTES = 11 * 60_000;
const CROSS_SITE = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };

interface Listed {
  readonly passkeys: { id: string; name: string | null; createdAt: string; lastUsedAt: string | null; disabled: boolean }[];
}

describe.each(SERVER_BACKENDS)('passkeys on $name', ({ backend, skip }) => {
  let t: TestServer;
  let seq = 0;
  beforeAll(async () => {
    if (skip) return;
    t = await startPasskeyServer(backend);
  });
  afterAll(async () => {
    if (!skip) await t.close();
  });

  /**
   * A signed-in account. With `password`, registered and verified over the API (it can sign in with
   * TEST_PASSWORD); otherwise written straight into the database (the accounts routes allow 30 requests per client in
   * 10 minutes, and most tests only need someone to be).
   */
  async function signedIn(password = false): Promise<{ userId: string; email: string; browser: BrowserClient }> {
    seq += 1;
    const email = `passkey-${seq}@example.test`;
    const userId = password ? await verifiedUser(t, email) : await insertedUser(t, email);
    return { userId, email, browser: await browserSignedInAs(t, userId) };
  }

  /** A signed-in user with one registered passkey. */
  async function withPasskey(options: Parameters<typeof authenticatorFor>[1] = {}, password = false): Promise<{ userId: string; email: string; browser: BrowserClient; authenticator: SoftAuthenticator }> {
    const user = await signedIn(password);
    const authenticator = authenticatorFor(t, options);
    const registered = await registerPasskey(user.browser, authenticator);
    expect(registered.status).toBe(201);
    return { ...user, authenticator };
  }

  async function listed(browser: BrowserClient): Promise<Listed['passkeys']> {
    return ((await browser.request('GET', '/v1/mfa/passkeys')).body as Listed).passkeys;
  }

  async function credentialCount(userId: string): Promise<number> {
    const rows = await t.server.database.db.selectFrom('rampart_webauthn_credentials').select('id').where('user_id', '=', userId).execute();
    return rows.length;
  }

  /** A browser with no session (a sign-in page). */
  const anonymousBrowser = (): BrowserClient => new BrowserClient(t.url);

  it.skipIf(skip)('registration: options require a discoverable credential with user verification; the passkey is listed without its key', async () => {
    const { userId, browser } = await signedIn();
    expect(t.server.modules.mfa.relyingParty).toEqual({ id: 'localhost', origin: t.url });
    const optionsResponse = await browser.request('POST', '/v1/mfa/passkeys/options');
    expect(optionsResponse.headers.get('cache-control')).toBe('no-store');
    const options = (optionsResponse.body as { options: Awaited<ReturnType<typeof registrationOptions>> }).options;
    expect(options.rp.id).toBe('localhost');
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', requireResidentKey: true, userVerification: 'required' });
    expect(options.excludeCredentials).toEqual([]);
    // The user handle is the opaque account id, never the address.
    expect(Buffer.from(options.user.id, 'base64url').toString('utf8')).toBe(userId);

    const authenticator = authenticatorFor(t);
    const registered = await browser.request('POST', '/v1/mfa/passkeys', { json: { response: authenticator.register(options), name: 'Laptop key' } });
    expect(registered.status).toBe(201);
    expect(registered.headers.get('cache-control')).toBe('no-store');
    expect(registered.body).toMatchObject({ id: authenticator.id, name: 'Laptop key', lastUsedAt: null, disabled: false });
    expect(Object.keys(registered.body as object).sort()).toEqual(['createdAt', 'disabled', 'id', 'lastUsedAt', 'name']);

    const list = await listed(browser);
    expect(list).toEqual([{ id: authenticator.id, name: 'Laptop key', createdAt: new Date(t.clock.now()).toISOString(), lastUsedAt: null, disabled: false }]);
    const summary = await browser.request('GET', '/v1/mfa');
    expect(summary.body).toMatchObject({ passkeys: { count: 1, disabled: 0, available: true }, secondFactorRequired: true });
    expect(await t.server.modules.mfa.factors.enrolled(userId)).toEqual({ totp: false, backupCodes: 0, passkeys: 1 });
    // The next registration excludes the registered credential.
    const next = await registrationOptions(browser);
    expect(next.excludeCredentials?.map((c) => c.id)).toEqual([authenticator.id]);
    expect(t.events.some((e) => e.type === 'mfa.webauthn.registered' && e.subject === userId)).toBe(true);
  });

  it.skipIf(skip)('attack: a registration from another origin, for another RP id, with a wrong or replayed challenge, or without UV stores nothing', async () => {
    const { userId, browser } = await signedIn();
    const attempts: [string, Parameters<SoftAuthenticator['register']>[1]][] = [
      ['phishing origin', { origin: 'https://login-example.evil' }],
      ['foreign rp id', { rpId: 'evil.example' }],
      ['wrong challenge', { challenge: randomBytes(32).toString('base64url') }],
      ['no user verification', { userVerified: false }],
      ['assertion type', { type: 'webauthn.get' }],
    ];
    for (const [what, overrides] of attempts) {
      const refused = await registerPasskey(browser, authenticatorFor(t), undefined, overrides);
      expect([what, refused.status, codeOf(refused)]).toEqual([what, 400, 'mfa.passkey_registration_failed']);
    }
    expect(await credentialCount(userId)).toBe(0);
    expect(t.events.filter((e) => e.type === 'mfa.webauthn.failed' && e.subject === userId)).toHaveLength(attempts.length);

    // Replay: one challenge registers one credential; the same response, or another authenticator's, is refused.
    const options = await registrationOptions(browser);
    const first = authenticatorFor(t);
    const response = first.register(options);
    expect((await browser.request('POST', '/v1/mfa/passkeys', { json: { response } })).status).toBe(201);
    const replayed = await browser.request('POST', '/v1/mfa/passkeys', { json: { response } });
    expect(replayed.status).toBe(400);
    const second = await browser.request('POST', '/v1/mfa/passkeys', { json: { response: authenticatorFor(t).register(options) } });
    expect(second.status).toBe(400);
    expect(await credentialCount(userId)).toBe(1);
  });

  it.skipIf(skip)("attack: finishing another user's registration ceremony attaches nothing to either account", async () => {
    const victim = await signedIn();
    const attacker = await signedIn();
    const victimOptions = await registrationOptions(victim.browser);
    const refused = await attacker.browser.request('POST', '/v1/mfa/passkeys', { json: { response: authenticatorFor(t).register(victimOptions) } });
    expect(refused.status).toBe(400);
    expect(await credentialCount(attacker.userId)).toBe(0);
    // The victim's ceremony was not burnt by the attempt.
    const own = await victim.browser.request('POST', '/v1/mfa/passkeys', { json: { response: authenticatorFor(t).register(victimOptions) } });
    expect(own.status).toBe(201);
  });

  it.skipIf(skip)("attack: IDOR — deleting another user's passkey by id is a 404 and removes nothing", async () => {
    const owner = await withPasskey();
    const attacker = await signedIn();
    const id = owner.authenticator.id;
    const foreign = await attacker.browser.request('DELETE', `/v1/mfa/passkeys/${id}`);
    expect(foreign.status).toBe(404);
    expect(codeOf(foreign)).toBe('mfa.passkey_not_found');
    const unknown = await attacker.browser.request('DELETE', `/v1/mfa/passkeys/${randomBytes(32).toString('base64url')}`);
    expect(unknown.status).toBe(404);
    // The same answer, byte for byte apart from the correlation id: no existence oracle.
    const strip = (text: string): string => text.replace(/"correlationId":"[^"]+"/, '');
    expect(strip(foreign.text)).toBe(strip(unknown.text));
    expect((await attacker.browser.request('DELETE', '/v1/mfa/passkeys/not%20an%20id')).status).toBe(404);
    expect(await credentialCount(owner.userId)).toBe(1);

    const own = await owner.browser.request('DELETE', `/v1/mfa/passkeys/${id}`);
    expect(own.status).toBe(204);
    expect(await listed(owner.browser)).toEqual([]);
    expect(t.events.some((e) => e.type === 'mfa.webauthn.removed' && e.subject === owner.userId)).toBe(true);
  });

  it.skipIf(skip)('attack: mass assignment and malformed credentials are a 400 and store nothing', async () => {
    const { userId, browser } = await signedIn();
    const authenticator = authenticatorFor(t);
    const options = await registrationOptions(browser);
    const response = authenticator.register(options);
    const extraTop = await browser.request('POST', '/v1/mfa/passkeys', { json: { response, userId: 'someone-else' } });
    expect([extraTop.status, codeOf(extraTop)]).toEqual([400, 'validation.failed']);
    const extraInner = await browser.request('POST', '/v1/mfa/passkeys', { json: { response: { ...response, response: { ...response.response, counter: 0 } } } });
    expect(extraInner.status).toBe(400);
    const badName = await browser.request('POST', '/v1/mfa/passkeys', { json: { response, name: 'evil\u0007name' } });
    expect(badName.status).toBe(400);
    const notBase64 = await browser.request('POST', '/v1/mfa/passkeys', { json: { response: { ...response, id: 'a b' } } });
    expect(notBase64.status).toBe(400);
    expect(await credentialCount(userId)).toBe(0);
    // The ceremony is still usable: validation refusals happen before it is taken.
    expect((await browser.request('POST', '/v1/mfa/passkeys', { json: { response } })).status).toBe(201);
  });

  it.skipIf(skip)('attack: registering or removing a passkey needs a recent full authentication', async () => {
    const owner = await withPasskey();
    const stale = await browserSignedInAs(t, owner.userId, { fullyAuthenticatedAt: t.clock.now() - ELEVEN_MINUTES });
    for (const [method, path] of [['POST', '/v1/mfa/passkeys/options'], ['POST', '/v1/mfa/passkeys'], ['DELETE', `/v1/mfa/passkeys/${owner.authenticator.id}`]] as const) {
      const response = await stale.request(method, path, method === 'POST' ? { json: {} } : {});
      expect([path, response.status, codeOf(response)]).toEqual([path, 403, 'auth.step_up_required']);
    }
    expect(await credentialCount(owner.userId)).toBe(1);
  });

  it.skipIf(skip)('step-up by passkey: a stale session proves the passkey and gets a new session id with a fresh full authentication', async () => {
    const { userId, authenticator } = await withPasskey();
    const stale = await browserSignedInAs(t, userId, { fullyAuthenticatedAt: t.clock.now() - ELEVEN_MINUTES });
    const oldId = stale.sessionId;
    expect((await stale.request('POST', '/v1/mfa/backup-codes')).status).toBe(403);

    const options = requestOptionsOf(await stale.request('POST', '/v1/mfa/passkeys/step-up/options'));
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([authenticator.id]);
    expect(options.userVerification).toBe('required');
    const steppedUp = await stale.request('POST', '/v1/mfa/passkeys/step-up', { json: { response: authenticator.authenticate(options) } });
    expect(steppedUp.status).toBe(200);
    expect(steppedUp.body).toEqual({ status: 'stepped_up', fullyAuthenticatedAt: new Date(t.clock.now()).toISOString() });
    expect(stale.sessionId).not.toBe(oldId);
    const identity = await stale.request('GET', '/v1/identity');
    expect(identity.body).toMatchObject({ userId, fullyAuthenticatedAt: new Date(t.clock.now()).toISOString() });
    expect((await stale.request('POST', '/v1/mfa/backup-codes')).status).toBe(200);
    // The old session id is dead (rotated away).
    const old = new BrowserClient(t.url);
    old.setCookie('__Host-rampart_session', oldId ?? '');
    expect((await old.request('GET', '/v1/identity')).status).toBe(401);
    expect((await stale.request('GET', '/v1/mfa/passkeys')).body).toMatchObject({ passkeys: [{ id: authenticator.id, lastUsedAt: new Date(t.clock.now()).toISOString() }] });
  });

  it.skipIf(skip)("attack: a step-up with another user's passkey, or a forged signature, is refused and the session keeps its stale stamp", async () => {
    const victim = await withPasskey();
    const attacker = await withPasskey();
    const stale = await browserSignedInAs(t, victim.userId, { fullyAuthenticatedAt: t.clock.now() - ELEVEN_MINUTES });
    const sessionId = stale.sessionId;
    const options = requestOptionsOf(await stale.request('POST', '/v1/mfa/passkeys/step-up/options'));
    const foreign = await stale.request('POST', '/v1/mfa/passkeys/step-up', { json: { response: attacker.authenticator.authenticate(options) } });
    expect([foreign.status, codeOf(foreign)]).toEqual([401, 'mfa.passkey_failed']);
    const again = requestOptionsOf(await stale.request('POST', '/v1/mfa/passkeys/step-up/options'));
    const forged = await stale.request('POST', '/v1/mfa/passkeys/step-up', { json: { response: victim.authenticator.authenticate(again, { signingKey: otherSigningKey() }) } });
    expect(forged.status).toBe(401);
    expect(stale.sessionId).toBe(sessionId);
    expect((await stale.request('POST', '/v1/mfa/backup-codes')).status).toBe(403);
  });

  it.skipIf(skip)('passkey-only login: a discoverable credential with user verification signs in with amr hwk/swk + user + mfa', async () => {
    const bound = await withPasskey();
    const browser = anonymousBrowser();
    const options = requestOptionsOf(await browser.request('POST', '/v1/login/passkey/options', { json: {} }));
    // Usernameless: no credential list, nothing about any account.
    expect(options.allowCredentials ?? []).toEqual([]);
    expect(options.userVerification).toBe('required');
    const signedIn = await browser.request('POST', '/v1/login/passkey', { json: { response: bound.authenticator.authenticate(options) } });
    expect(signedIn.status).toBe(200);
    expect(browser.sessionId).toBeDefined();
    expect((await browser.request('GET', '/v1/identity')).body).toMatchObject({ userId: bound.userId, source: 'session', amr: ['hwk', 'user', 'mfa'] });

    // A synced passkey (backup eligible) is a software-protected key.
    const synced = await withPasskey({ backedUp: true });
    const other = anonymousBrowser();
    const syncedOptions = requestOptionsOf(await other.request('POST', '/v1/login/passkey/options', { json: {} }));
    expect((await other.request('POST', '/v1/login/passkey', { json: { response: synced.authenticator.authenticate(syncedOptions) } })).status).toBe(200);
    expect((await other.request('GET', '/v1/identity')).body).toMatchObject({ userId: synced.userId, amr: ['swk', 'user', 'mfa'] });
  });

  it.skipIf(skip)('attack: passkey-only login without user verification, with a wrong challenge, or for a locked account is refused', async () => {
    const { userId, authenticator } = await withPasskey();
    const browser = anonymousBrowser();
    const options = requestOptionsOf(await browser.request('POST', '/v1/login/passkey/options', { json: {} }));
    const noUv = await browser.request('POST', '/v1/login/passkey', { json: { response: authenticator.authenticate(options, { userVerified: false }) } });
    expect([noUv.status, codeOf(noUv)]).toEqual([401, 'mfa.passkey_failed']);
    const wrongChallenge = await browser.request('POST', '/v1/login/passkey', { json: { response: authenticator.authenticate(options, { challenge: randomBytes(32).toString('base64url') }) } });
    expect(wrongChallenge.status).toBe(401);
    expect(browser.sessionId).toBeUndefined();

    await t.server.database.db.updateTable('rampart_users').set({ locked_at: new Date(t.clock.now()).toISOString() }).where('id', '=', userId).execute();
    const lockedOptions = requestOptionsOf(await browser.request('POST', '/v1/login/passkey/options', { json: {} }));
    const locked = await browser.request('POST', '/v1/login/passkey', { json: { response: authenticator.authenticate(lockedOptions) } });
    expect(locked.status).toBe(401);
    expect(browser.sessionId).toBeUndefined();
    expect(t.events.filter((e) => e.type === 'mfa.webauthn.failed' && e.subject === userId).map((e) => e.attributes?.reason)).toContain('account_locked');
  });

  it.skipIf(skip)('attack: a cloned authenticator (signature counter going back) is refused, disabled and reported', async () => {
    const { userId, browser: owner, authenticator } = await withPasskey({ counter: 5 });
    const browser = anonymousBrowser();
    const first = requestOptionsOf(await browser.request('POST', '/v1/login/passkey/options', { json: {} }));
    expect((await browser.request('POST', '/v1/login/passkey', { json: { response: authenticator.authenticate(first) } })).status).toBe(200);
    // The clone still holds the old counter.
    const clone = anonymousBrowser();
    const options = requestOptionsOf(await clone.request('POST', '/v1/login/passkey/options', { json: {} }));
    const cloned = await clone.request('POST', '/v1/login/passkey', { json: { response: authenticator.authenticate(options, { counter: 3 }) } });
    expect([cloned.status, codeOf(cloned)]).toEqual([401, 'mfa.passkey_failed']);
    expect(clone.sessionId).toBeUndefined();
    expect(t.events.some((e) => e.type === 'mfa.webauthn.counter_regression' && e.subject === userId)).toBe(true);
    // Disabled: even the genuine authenticator is refused now, and the owner sees why.
    const later = requestOptionsOf(await clone.request('POST', '/v1/login/passkey/options', { json: {} }));
    expect((await clone.request('POST', '/v1/login/passkey', { json: { response: authenticator.authenticate(later) } })).status).toBe(401);
    expect(await listed(owner)).toMatchObject([{ id: authenticator.id, disabled: true }]);
    // Still counted: the account keeps requiring a second factor.
    expect((await t.server.modules.mfa.factors.enrolled(userId)).passkeys).toBe(1);
  });

  it.skipIf(skip)('passkey as the second factor of a password login: the pending login completes with amr pwd + hwk + mfa', async () => {
    const { userId, email, authenticator } = await withPasskey({}, true);
    const browser = anonymousBrowser();
    const login = await browser.request('POST', '/v1/login', { json: { email, password: TEST_PASSWORD } });
    expect(login.status).toBe(200);
    const { loginToken, methods } = login.body as { loginToken: string; methods: string[] };
    expect(methods).toContain('passkey');
    const options = requestOptionsOf(await browser.request('POST', '/v1/login/passkey/options', { json: { loginToken } }));
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([authenticator.id]);
    const done = await browser.request('POST', '/v1/login/passkey', { json: { response: authenticator.authenticate(options), loginToken } });
    expect(done.status).toBe(200);
    expect((await browser.request('GET', '/v1/identity')).body).toMatchObject({ userId, amr: ['pwd', 'hwk', 'mfa'] });
    // The login token is spent.
    const again = await anonymousBrowser().request('POST', '/v1/login/passkey/options', { json: { loginToken } });
    expect([again.status, codeOf(again)]).toEqual([401, 'auth.login_token_invalid']);
  });

  it.skipIf(skip)("attack: an assertion for another user's pending login is refused and that login does not complete", async () => {
    const victim = await withPasskey({}, true);
    const attacker = await withPasskey();
    const browser = anonymousBrowser();
    const login = await browser.request('POST', '/v1/login', { json: { email: victim.email, password: TEST_PASSWORD } });
    const { loginToken } = login.body as { loginToken: string };
    const options = requestOptionsOf(await browser.request('POST', '/v1/login/passkey/options', { json: { loginToken } }));
    const foreign = await browser.request('POST', '/v1/login/passkey', { json: { response: attacker.authenticator.authenticate(options), loginToken } });
    expect([foreign.status, codeOf(foreign)]).toEqual([401, 'mfa.passkey_failed']);
    expect(browser.sessionId).toBeUndefined();
    // A usernameless ceremony cannot stand in for the pending login's either.
    const usernameless = requestOptionsOf(await browser.request('POST', '/v1/login/passkey/options', { json: {} }));
    const swapped = await browser.request('POST', '/v1/login/passkey', { json: { response: victim.authenticator.authenticate(usernameless), loginToken } });
    expect(swapped.status).toBe(401);
    expect(t.events.filter((e) => e.type === 'mfa.webauthn.failed' && e.attributes?.ceremony === 'second_factor').map((e) => e.attributes?.reason)).toEqual(
      expect.arrayContaining(['user_mismatch', 'challenge_unknown']),
    );
  });

  it.skipIf(skip)('attack: CSRF — a cross-site passkey login or step-up from a cookie-carrying browser is refused', async () => {
    const { browser } = await signedIn();
    for (const path of ['/v1/login/passkey/options', '/v1/login/passkey', '/v1/mfa/passkeys/step-up/options', '/v1/mfa/passkeys/step-up']) {
      const crossSite = await browser.request('POST', path, { json: {}, headers: CROSS_SITE });
      expect([path, crossSite.status, codeOf(crossSite)]).toEqual([path, 403, 'csrf.cross_site']);
    }
  });

  it.skipIf(skip)('mass assignment on the login routes: extra members, or a delivery with a loginToken, are a 400', async () => {
    const browser = anonymousBrowser();
    const extra = await browser.request('POST', '/v1/login/passkey/options', { json: { userId: 'someone' } });
    expect([extra.status, codeOf(extra)]).toEqual([400, 'validation.failed']);
    const both = await browser.request('POST', '/v1/login/passkey', {
      json: {
        response: { id: 'AAAA', rawId: 'AAAA', type: 'public-key', clientExtensionResults: {}, response: { clientDataJSON: 'AA', authenticatorData: 'AA', signature: 'AA' } },
        loginToken: 'A'.repeat(43),
        delivery: 'tokens',
      },
    });
    expect([both.status, codeOf(both)]).toEqual([400, 'mfa.delivery_not_allowed']);
  });
});
