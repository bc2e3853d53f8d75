/*
 * The second-factor step and everything that needs an enrolled factor or a token issuer, end to end over real HTTP on
 * SQLite and PostgreSQL — through the login harness (login.fixtures.ts), whose second factors are core's TOTP and
 * backup codes on the server's own SQL stores, the secrets held by the test.
 */
import { createHash } from 'node:crypto';
import { createPasswordHasher, nodeHashingEngine, type PasswordHashingEngine } from '@rampart/core/password';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../auth/session-cookie.js';
import { apiRequest, BrowserClient, type JsonResponse } from '../testing/browser-client.fixtures.js';
import { SERVER_BACKENDS } from '../testing/server.fixtures.js';
import { TEST_PASSWORD } from '../testing/users.fixtures.js';
import { startLoginHarness, type LoginHarness } from './login.fixtures.js';

interface MfaRequired {
  readonly status: 'mfa_required';
  readonly loginToken: string;
  readonly methods: readonly string[];
  readonly expiresIn: number;
}

const codeOf = (response: JsonResponse): string | undefined => (response.body as { code?: string } | undefined)?.code;

/** Verify calls the hasher's engine made, with the parameters of the hash each one was against. */
function countingEngine(): { engine: PasswordHashingEngine; verified: string[] } {
  const verified: string[] = [];
  return {
    verified,
    engine: {
      ...nodeHashingEngine,
      argon2Verify: (phc, password) => {
        verified.push(phc.split('$').slice(1, 4).join('$'));
        return nodeHashingEngine.argon2Verify(phc, password);
      },
    },
  };
}

describe.each(SERVER_BACKENDS)('second factor at login on $name', ({ backend, skip }) => {
  let h: LoginHarness;
  const counting = countingEngine();
  let n = 0;
  const email = (what: string): string => `${what}-${(n += 1)}@example.test`;

  beforeAll(async () => {
    if (skip) return;
    h = await startLoginHarness({ backend, hasher: createPasswordHasher({ memoryCost: 1024, timeCost: 1, allowWeakParameters: true, engine: counting.engine }) });
  });
  afterAll(async () => {
    if (!skip) await h.close();
  });
  // Each case starts with fresh throttle windows (the limiter store runs on the harness clock).
  beforeEach(() => {
    if (!skip) h.clock.advance(16 * 60_000);
  });

  /** A verified account with TOTP; returns its id. */
  async function totpUser(address: string): Promise<string> {
    const id = await h.createUser(address);
    h.factors.enrollTotp(id);
    return id;
  }

  async function passwordStep(browser: BrowserClient, address: string, delivery?: 'session' | 'tokens'): Promise<MfaRequired> {
    const response = await browser.request('POST', '/v1/login', { json: { email: address, password: TEST_PASSWORD, ...(delivery === undefined ? {} : { delivery }) } });
    expect(response.status).toBe(200);
    expect((response.body as { status: string }).status).toBe('mfa_required');
    return response.body as MfaRequired;
  }

  const secondFactor = (browser: BrowserClient, loginToken: string, method: string, code: string): Promise<JsonResponse> =>
    browser.request('POST', '/v1/login/second-factor', { json: { loginToken, method, code } });

  const pendingRows = async (userId: string) => h.database.db.selectFrom('rampart_pending_logins').selectAll().where('user_id', '=', userId).execute();

  it.skipIf(skip)('the password of an account with TOTP answers mfa_required: no session, no cookie; only the token hash is stored', async () => {
    const address = email('totp');
    const id = await totpUser(address);
    const browser = new BrowserClient(h.url);
    const response = await browser.request('POST', '/v1/login', { json: { email: address, password: TEST_PASSWORD } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = response.body as MfaRequired;
    expect(body).toMatchObject({ status: 'mfa_required', methods: ['totp'], expiresIn: 300 });
    expect(body.loginToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(response.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
    expect(browser.sessionId).toBeUndefined();
    const rows = await pendingRows(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.token_hash).toBe(createHash('sha256').update(`rampart-login-token:${body.loginToken}`).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(body.loginToken);
    expect(await h.sessions.list(id)).toHaveLength(0);
  });

  it.skipIf(skip)('the right TOTP code completes it: a session with amr pwd otp mfa, fully authenticated now', async () => {
    const address = email('complete');
    const id = await totpUser(address);
    const browser = new BrowserClient(h.url);
    const { loginToken } = await passwordStep(browser, address);
    h.clock.advance(20_000);
    const done = await secondFactor(browser, loginToken, 'totp', h.factors.codeFor(id));
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ status: 'signed_in' });
    expect(browser.sessionId).toBeDefined();
    const me = await browser.request('GET', '/v1/identity');
    expect(me.body).toMatchObject({ userId: id, source: 'session', amr: ['pwd', 'otp', 'mfa'], fullyAuthenticatedAt: new Date(h.clock.now()).toISOString() });
    // authTime is when the password was proved, not when the code was.
    expect((me.body as { authTime: string }).authTime).toBe(new Date(h.clock.now() - 20_000).toISOString());
    expect(h.events.some((e) => e.type === 'auth.login.succeeded' && e.subject === id && e.attributes?.amr === 'pwd otp mfa')).toBe(true);
  });

  it.skipIf(skip)('a backup code completes it with amr pwd kba mfa, and is spent', async () => {
    const address = email('backup');
    const id = await totpUser(address);
    const [code] = await h.factors.backupCodes.regenerate(id);
    const browser = new BrowserClient(h.url);
    const { loginToken, methods } = await passwordStep(browser, address);
    expect(methods).toEqual(['totp', 'backup_code']);
    const done = await secondFactor(browser, loginToken, 'backup_code', code ?? '');
    expect(done.status).toBe(200);
    expect((await browser.request('GET', '/v1/identity')).body).toMatchObject({ amr: ['pwd', 'kba', 'mfa'] });
    const again = await passwordStep(new BrowserClient(h.url), address);
    const reused = await secondFactor(new BrowserClient(h.url), again.loginToken, 'backup_code', code ?? '');
    expect(reused.status).toBe(401);
    expect(codeOf(reused)).toBe('auth.second_factor_invalid');
  });

  it.skipIf(skip)('attack: skipping the second step — the login token is no credential anywhere', async () => {
    const address = email('skip');
    const id = await totpUser(address);
    const { loginToken } = await passwordStep(new BrowserClient(h.url), address);
    const asBearer = await apiRequest(h.url, 'GET', '/v1/identity', { headers: { authorization: `Bearer ${loginToken}` } });
    expect(asBearer.status).toBe(401);
    const asCookie = await apiRequest(h.url, 'GET', '/v1/identity', { headers: { cookie: `${SESSION_COOKIE}=${loginToken}` } });
    expect(asCookie.status).toBe(401);
    const sessions = await apiRequest(h.url, 'GET', '/v1/sessions', { headers: { authorization: `Bearer ${loginToken}` } });
    expect(sessions.status).toBe(401);
    const profile = await apiRequest(h.url, 'GET', '/v1/account', { headers: { cookie: `${SESSION_COOKIE}=${loginToken}` } });
    expect(profile.status).toBe(401);
    expect(await h.sessions.list(id)).toHaveLength(0);
    expect(h.tokens.issued.filter((f) => f.userId === id)).toHaveLength(0);
  });

  it.skipIf(skip)('attack: a spent login token cannot be completed again, even with a fresh valid code', async () => {
    const address = email('spent');
    const id = await totpUser(address);
    const browser = new BrowserClient(h.url);
    const { loginToken } = await passwordStep(browser, address);
    expect((await secondFactor(browser, loginToken, 'totp', h.factors.codeFor(id))).status).toBe(200);
    h.clock.advance(30_000);
    const replay = await secondFactor(new BrowserClient(h.url), loginToken, 'totp', h.factors.codeFor(id));
    expect(replay.status).toBe(401);
    expect(codeOf(replay)).toBe('auth.login_token_invalid');
    expect(await h.sessions.list(id)).toHaveLength(1);
  });

  it.skipIf(skip)("attack: one user's login token with another user's valid code is refused", async () => {
    const victim = email('victim');
    const attacker = email('attacker');
    const victimId = await totpUser(victim);
    const attackerId = await totpUser(attacker);
    // The attacker knows the victim's password, not the victim's second factor: they use their own valid code.
    const { loginToken } = await passwordStep(new BrowserClient(h.url), victim);
    const forged = await secondFactor(new BrowserClient(h.url), loginToken, 'totp', h.factors.codeFor(attackerId));
    expect(forged.status).toBe(401);
    expect(codeOf(forged)).toBe('auth.second_factor_invalid');
    expect(await h.sessions.list(victimId)).toHaveLength(0);
    expect(await h.sessions.list(attackerId)).toHaveLength(0);
  });

  it.skipIf(skip)('attack: completing with a method the account has not enrolled is refused', async () => {
    const totpOnly = email('totp-only');
    const totpId = await totpUser(totpOnly);
    const { loginToken } = await passwordStep(new BrowserClient(h.url), totpOnly);
    const backup = await secondFactor(new BrowserClient(h.url), loginToken, 'backup_code', 'abcde-fghjk');
    expect(backup.status).toBe(401);
    expect(codeOf(backup)).toBe('auth.second_factor_invalid');
    expect(h.events.some((e) => e.type === 'auth.login.failed' && e.subject === totpId && e.attributes?.reason === 'not_enrolled')).toBe(true);

    // An account protected by a passkey only: the password alone is not enough, and a TOTP code is no substitute.
    const passkeyOnly = email('passkey-only');
    const passkeyId = await h.createUser(passkeyOnly);
    h.factors.setPasskeys(passkeyId, 1);
    const step = await passwordStep(new BrowserClient(h.url), passkeyOnly);
    expect(step.methods).toEqual(['passkey']);
    const totp = await secondFactor(new BrowserClient(h.url), step.loginToken, 'totp', '123456');
    expect(totp.status).toBe(401);
    expect(await h.sessions.list(passkeyId)).toHaveLength(0);
  });

  it.skipIf(skip)('attack: five wrong codes kill the pending login; the right code afterwards is too late', async () => {
    const address = email('five');
    const id = await totpUser(address);
    const { loginToken } = await passwordStep(new BrowserClient(h.url), address);
    const right = h.factors.codeFor(id);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i += 1) expect((await secondFactor(new BrowserClient(h.url), loginToken, 'totp', wrong)).status).toBe(401);
    const late = await secondFactor(new BrowserClient(h.url), loginToken, 'totp', right);
    expect(late.status).toBe(401);
    expect(codeOf(late)).toBe('auth.login_token_invalid');
    expect((await pendingRows(id))[0]?.attempts).toBe(5);
    expect(await h.sessions.list(id)).toHaveLength(0);
  });

  it.skipIf(skip)('attack: TOTP brute force across fresh pending logins is throttled per account (429), right code included', async () => {
    const address = email('brute');
    const id = await totpUser(address);
    const right = h.factors.codeFor(id);
    const wrong = right === '000000' ? '111111' : '000000';
    const first = await passwordStep(new BrowserClient(h.url), address);
    for (let i = 0; i < 5; i += 1) expect((await secondFactor(new BrowserClient(h.url), first.loginToken, 'totp', wrong)).status).toBe(401);
    // A new pending login gives five new attempts on that login, but not on the account.
    const second = await passwordStep(new BrowserClient(h.url), address);
    const throttled = await secondFactor(new BrowserClient(h.url), second.loginToken, 'totp', right);
    expect(throttled.status).toBe(429);
    expect(codeOf(throttled)).toBe('auth.throttled');
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await h.sessions.list(id)).toHaveLength(0);
    // Pushing on with the delays honoured: the tenth attempt on the account starts the 15-minute lock, in which even
    // the right code is refused.
    for (let i = 0; i < 5; i += 1) {
      h.clock.advance(20_000);
      const login = await passwordStep(new BrowserClient(h.url), address);
      await secondFactor(new BrowserClient(h.url), login.loginToken, 'totp', wrong);
    }
    h.clock.advance(20_000);
    const locked = await passwordStep(new BrowserClient(h.url), address);
    const refused = await secondFactor(new BrowserClient(h.url), locked.loginToken, 'totp', h.factors.codeFor(id));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(60);
    expect(await h.sessions.list(id)).toHaveLength(0);
  });

  it.skipIf(skip)('attack: a replayed TOTP code is refused with the same answer as a wrong one', async () => {
    const address = email('replay');
    const id = await totpUser(address);
    const code = h.factors.codeFor(id);
    const first = await passwordStep(new BrowserClient(h.url), address);
    expect((await secondFactor(new BrowserClient(h.url), first.loginToken, 'totp', code)).status).toBe(200);
    const second = await passwordStep(new BrowserClient(h.url), address);
    const replayed = await secondFactor(new BrowserClient(h.url), second.loginToken, 'totp', code);
    expect(replayed.status).toBe(401);
    expect(codeOf(replayed)).toBe('auth.second_factor_invalid');
    expect(h.events.some((e) => e.type === 'auth.login.failed' && e.subject === id && e.attributes?.reason === 'replayed')).toBe(true);
    expect(await h.sessions.list(id)).toHaveLength(1);
  });

  it.skipIf(skip)('attack: two concurrent completions of one pending login — exactly one session', async () => {
    const address = email('race');
    const id = await totpUser(address);
    const [a, b] = await h.factors.backupCodes.regenerate(id);
    const { loginToken } = await passwordStep(new BrowserClient(h.url), address);
    const results = await Promise.all([
      secondFactor(new BrowserClient(h.url), loginToken, 'backup_code', a ?? ''),
      secondFactor(new BrowserClient(h.url), loginToken, 'backup_code', b ?? ''),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    expect(await h.sessions.list(id)).toHaveLength(1);
  });

  it.skipIf(skip)('a pending login expires after five minutes', async () => {
    const address = email('expiry');
    const id = await totpUser(address);
    const { loginToken } = await passwordStep(new BrowserClient(h.url), address);
    h.clock.advance(5 * 60_000 + 1);
    const late = await secondFactor(new BrowserClient(h.url), loginToken, 'totp', h.factors.codeFor(id));
    expect(late.status).toBe(401);
    expect(codeOf(late)).toBe('auth.login_token_invalid');
  });

  it.skipIf(skip)('delivery tokens: after the second factor, an RFC 6749 §5.1 token response, never cached, no cookie', async () => {
    const address = email('tokens');
    const id = await totpUser(address);
    const step = await apiRequest(h.url, 'POST', '/v1/login', { json: { email: address, password: TEST_PASSWORD, delivery: 'tokens' } });
    const { loginToken } = step.body as MfaRequired;
    const done = await apiRequest(h.url, 'POST', '/v1/login/second-factor', { json: { loginToken, method: 'totp', code: h.factors.codeFor(id) } });
    expect(done.status).toBe(200);
    expect(done.headers.get('cache-control')).toBe('no-store');
    expect(done.headers.get('pragma')).toBe('no-cache');
    expect(done.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
    expect(done.body).toMatchObject({ token_type: 'Bearer', expires_in: 600, access_token: expect.any(String) as string, refresh_token: expect.any(String) as string });
    expect(h.tokens.issued.at(-1)).toMatchObject({ userId: id, amr: ['pwd', 'otp', 'mfa'], fullyAuthenticatedAt: h.clock.now() });
    expect(await h.sessions.list(id)).toHaveLength(0);
  });

  it.skipIf(skip)('delivery tokens without a second factor: the issuer gets amr pwd and the response is §5.1', async () => {
    const address = email('tokens-pwd');
    const id = await h.createUser(address);
    const done = await apiRequest(h.url, 'POST', '/v1/login', { json: { email: address, password: TEST_PASSWORD, delivery: 'tokens' } });
    expect(done.status).toBe(200);
    expect(Object.keys(done.body as object).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    expect(h.tokens.issued.at(-1)).toMatchObject({ userId: id, amr: ['pwd'] });
  });

  it.skipIf(skip)('step-up of an account with TOTP needs the code too; it rotates the session and restarts the step-up clock', async () => {
    const address = email('stepup');
    const id = await totpUser(address);
    const browser = new BrowserClient(h.url);
    const { loginToken } = await passwordStep(browser, address);
    await secondFactor(browser, loginToken, 'totp', h.factors.codeFor(id));
    const before = browser.sessionId;
    h.clock.advance(11 * 60_000);
    const passwordOnly = await browser.request('POST', '/v1/session/step-up', { json: { password: TEST_PASSWORD } });
    expect(passwordOnly.status).toBe(403);
    expect(codeOf(passwordOnly)).toBe('auth.second_factor_required');
    const wrongCode = await browser.request('POST', '/v1/session/step-up', { json: { password: TEST_PASSWORD, method: 'totp', code: '12345678' } });
    expect(wrongCode.status).toBe(403);
    expect(codeOf(wrongCode)).toBe('auth.reauthentication_failed');
    const ok = await browser.request('POST', '/v1/session/step-up', { json: { password: TEST_PASSWORD, method: 'totp', code: h.factors.codeFor(id) } });
    expect(ok.status).toBe(200);
    expect(browser.sessionId).not.toBe(before);
    expect((await h.sessions.validate(before)).ok).toBe(false);
    const me = await browser.request('GET', '/v1/identity');
    expect(me.body).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], fullyAuthenticatedAt: new Date(h.clock.now()).toISOString() });
  });

  it.skipIf(skip)('attack: enumeration — unknown address, wrong password, locked account: one Argon2id verify each, at the current parameters', async () => {
    const known = email('known');
    await h.createUser(known);
    const locked = email('locked');
    await h.createUser(locked, { locked: true });
    const attempts = [
      { email: email('nobody'), password: TEST_PASSWORD },
      { email: known, password: 'wrong password entirely' },
      { email: locked, password: TEST_PASSWORD },
    ];
    for (const attempt of attempts) {
      counting.verified.length = 0;
      const response = await apiRequest(h.url, 'POST', '/v1/login', { json: attempt });
      expect(response.status).toBe(401);
      expect(counting.verified).toEqual(['argon2id$v=19$m=1024,t=1,p=1']);
    }
  });

  it.skipIf(skip)('an outdated hash is replaced at login (core needsRehash), and only over the hash just verified', async () => {
    const address = email('rehash');
    const weak = await createPasswordHasher({ memoryCost: 256, timeCost: 1, allowWeakParameters: true }).hash(TEST_PASSWORD);
    const id = await h.createUser(address, { passwordHash: weak });
    const response = await apiRequest(h.url, 'POST', '/v1/login', { json: { email: address, password: TEST_PASSWORD } });
    expect(response.status).toBe(200);
    const row = await h.database.db.selectFrom('rampart_users').select('password_hash').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.password_hash).not.toBe(weak);
    expect(row.password_hash).toContain('$m=1024,t=1,p=1$');
    expect((await apiRequest(h.url, 'POST', '/v1/login', { json: { email: address, password: TEST_PASSWORD } })).status).toBe(200);
  });
});
