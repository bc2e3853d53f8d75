import { requiresSecondFactor } from '../auth/contracts.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, browserSignedInAs, type BrowserClient } from '../testing/browser-client.fixtures.js';
import { SERVER_BACKENDS, startTestServer, type TestServer } from '../testing/server.fixtures.js';
import { codeOf, insertedUser, totpCode, verifiedUser, wrongTotpCode } from './mfa.fixtures.js';

const STEP_MS = 30_000;
const ELEVEN_MINUTES = 11 * 60_000;
const CROSS_SITE = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };

interface Enrollment {
  readonly otpauthUri: string;
  readonly secret: string;
  readonly qrSvg: string;
  readonly expiresAt: string;
}

describe.each(SERVER_BACKENDS)('MFA enrollment (TOTP, backup codes) on $name', ({ backend, skip }) => {
  let t: TestServer;
  let seq = 0;
  /**
   * One account the attack tests share: each shows that nothing was stored for it. (Every account costs two account
   * requests, and the accounts routes allow 30 per client address in 10 minutes.)
   */
  let bystander: string;
  beforeAll(async () => {
    if (skip) return;
    t = await startTestServer({ backend });
    bystander = await verifiedUser(t, 'bystander@example.test');
  });
  afterAll(async () => {
    if (!skip) await t.close();
  });

  /** A new verified account and a browser signed in to it a moment ago (step-up fresh). */
  async function signedIn(): Promise<{ userId: string; browser: BrowserClient }> {
    seq += 1;
    const userId = await verifiedUser(t, `mfa-${seq}@example.test`);
    return { userId, browser: await browserSignedInAs(t, userId) };
  }

  async function startTotp(browser: BrowserClient): Promise<Enrollment> {
    const started = await browser.request('POST', '/v1/mfa/totp');
    expect(started.status).toBe(200);
    return started.body as Enrollment;
  }

  /** Enrolls TOTP and moves the clock to the next step (the confirmation code's step is spent). */
  async function enrolledTotp(browser: BrowserClient): Promise<string> {
    const { secret } = await startTotp(browser);
    const confirmed = await browser.request('POST', '/v1/mfa/totp/confirm', { json: { code: totpCode(secret, t.clock.now()) } });
    expect(confirmed.status).toBe(200);
    t.clock.advance(STEP_MS);
    return secret;
  }

  async function totpRows(userId: string): Promise<{ secret: string; confirmed_at: unknown }[]> {
    return t.server.database.db.selectFrom('rampart_mfa_totp').select(['secret', 'confirmed_at']).where('user_id', '=', userId).execute();
  }

  it.skipIf(skip)('TOTP: a started enrollment shows the secret once (otpauth URI, SVG QR, no-store) and counts only once confirmed', async () => {
    const { userId, browser } = await signedIn();
    const before = await browser.request('GET', '/v1/mfa');
    expect(before.body).toMatchObject({ totp: { enrolled: false, pending: false }, backupCodes: { remaining: 0 }, secondFactorRequired: false });

    const started = await browser.request('POST', '/v1/mfa/totp');
    expect(started.status).toBe(200);
    expect(started.headers.get('cache-control')).toBe('no-store');
    const enrollment = started.body as Enrollment;
    expect(enrollment.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrollment.otpauthUri).toMatch(/^otpauth:\/\/totp\//);
    expect(new URL(enrollment.otpauthUri).searchParams.get('secret')).toBe(enrollment.secret);
    expect(enrollment.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);

    // Stored encrypted: the row holds a FieldCipher envelope, never the base32 secret.
    const [row] = await totpRows(userId);
    expect(row?.secret.startsWith('rf1.')).toBe(true);
    expect(row?.secret).not.toContain(enrollment.secret);
    expect(row?.confirmed_at).toBeNull();
    // Pending: not a factor yet, for the login flow or the summary.
    expect((await t.server.modules.mfa.factors.enrolled(userId)).totp).toBe(false);
    expect(await t.server.modules.mfa.factors.verifyTotp(userId, totpCode(enrollment.secret, t.clock.now()))).toEqual({ ok: false, reason: 'not_enrolled' });
    expect((await browser.request('GET', '/v1/mfa')).body).toMatchObject({ totp: { enrolled: false, pending: true } });

    const code = totpCode(enrollment.secret, t.clock.now());
    const confirmed = await browser.request('POST', '/v1/mfa/totp/confirm', { json: { code } });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toEqual({ status: 'enrolled', replaced: false });
    const enrolled = await t.server.modules.mfa.factors.enrolled(userId);
    expect(enrolled.totp).toBe(true);
    expect(requiresSecondFactor(enrolled)).toBe(true);
    expect((await browser.request('GET', '/v1/mfa')).body).toMatchObject({ totp: { enrolled: true, pending: false }, secondFactorRequired: true });
    expect(t.events.some((e) => e.type === 'mfa.totp.enrolled' && e.subject === userId)).toBe(true);
    // Nothing secret reached an event.
    expect(JSON.stringify(t.events)).not.toContain(enrollment.secret);
  });

  it.skipIf(skip)('attack: TOTP confirmation with a wrong code is refused and the factor stays unenrolled', async () => {
    const { userId, browser } = await signedIn();
    const { secret } = await startTotp(browser);
    const wrong = await browser.request('POST', '/v1/mfa/totp/confirm', { json: { code: wrongTotpCode(secret, t.clock.now()) } });
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect(codeOf(wrong)).toBe('mfa.code_invalid');
    const malformed = await browser.request('POST', '/v1/mfa/totp/confirm', { json: { code: '12a456' } });
    expect(codeOf(malformed)).toBe('mfa.code_invalid');
    expect((await t.server.modules.mfa.factors.enrolled(userId)).totp).toBe(false);
    expect((await totpRows(userId)).every((row) => row.confirmed_at === null)).toBe(true);
    expect(t.events.filter((e) => e.type === 'mfa.totp.failed' && e.subject === userId).map((e) => e.attributes?.reason)).toEqual(['invalid', 'malformed']);
  });

  it.skipIf(skip)('attack: a replayed TOTP code is refused — the confirmation code, and a login code used once', async () => {
    const { userId, browser } = await signedIn();
    const { secret } = await startTotp(browser);
    const code = totpCode(secret, t.clock.now());
    expect((await browser.request('POST', '/v1/mfa/totp/confirm', { json: { code } })).status).toBe(200);
    const factors = t.server.modules.mfa.factors;
    // The code that confirmed the enrollment cannot sign in.
    expect(await factors.verifyTotp(userId, code)).toEqual({ ok: false, reason: 'replayed' });
    t.clock.advance(STEP_MS);
    const next = totpCode(secret, t.clock.now());
    expect(await factors.verifyTotp(userId, next)).toEqual({ ok: true });
    expect(await factors.verifyTotp(userId, next)).toEqual({ ok: false, reason: 'replayed' });
    // Two racing verifications of one fresh code: exactly one wins.
    t.clock.advance(STEP_MS);
    const raced = totpCode(secret, t.clock.now());
    const results = await Promise.all([factors.verifyTotp(userId, raced), factors.verifyTotp(userId, raced)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(t.events.some((e) => e.type === 'mfa.totp.replay' && e.subject === userId)).toBe(true);
    expect(JSON.stringify(t.events)).not.toContain(next);
  });

  it.skipIf(skip)('re-enrolling replaces the old secret only when the new one is confirmed', async () => {
    const { userId, browser } = await signedIn();
    const oldSecret = await enrolledTotp(browser);
    const { secret: newSecret } = await startTotp(browser);
    const factors = t.server.modules.mfa.factors;
    // While the new one waits, the old one still signs in, and the new one does not.
    expect(await factors.verifyTotp(userId, totpCode(newSecret, t.clock.now()))).toEqual({ ok: false, reason: 'invalid' });
    expect(await factors.verifyTotp(userId, totpCode(oldSecret, t.clock.now()))).toEqual({ ok: true });
    t.clock.advance(STEP_MS);
    const confirmed = await browser.request('POST', '/v1/mfa/totp/confirm', { json: { code: totpCode(newSecret, t.clock.now()) } });
    expect(confirmed.body).toEqual({ status: 'enrolled', replaced: true });
    t.clock.advance(STEP_MS);
    expect(await factors.verifyTotp(userId, totpCode(oldSecret, t.clock.now()))).toEqual({ ok: false, reason: 'invalid' });
    expect(await factors.verifyTotp(userId, totpCode(newSecret, t.clock.now()))).toEqual({ ok: true });
    expect(await totpRows(userId)).toHaveLength(1);
  });

  it.skipIf(skip)('a pending enrollment expires after 10 minutes: confirming it then is a 409', async () => {
    const { userId } = await signedIn();
    const { secret } = await startTotp(await browserSignedInAs(t, userId));
    t.clock.advance(ELEVEN_MINUTES);
    const browser = await browserSignedInAs(t, userId);
    const late = await browser.request('POST', '/v1/mfa/totp/confirm', { json: { code: totpCode(secret, t.clock.now()) } });
    expect(late.status).toBe(409);
    expect(codeOf(late)).toBe('mfa.totp_not_pending');
    expect((await t.server.modules.mfa.factors.enrolled(userId)).totp).toBe(false);
  });

  it.skipIf(skip)('DELETE /v1/mfa/totp removes the factor; a second delete is a 404', async () => {
    const { userId, browser } = await signedIn();
    const secret = await enrolledTotp(browser);
    const removed = await browser.request('DELETE', '/v1/mfa/totp');
    expect(removed.status).toBe(204);
    expect(await totpRows(userId)).toEqual([]);
    expect(await t.server.modules.mfa.factors.verifyTotp(userId, totpCode(secret, t.clock.now()))).toEqual({ ok: false, reason: 'not_enrolled' });
    expect(t.events.some((e) => e.type === 'mfa.totp.removed' && e.subject === userId)).toBe(true);
    const again = await browser.request('DELETE', '/v1/mfa/totp');
    expect(again.status).toBe(404);
    expect(codeOf(again)).toBe('mfa.totp_not_enrolled');
  });

  it.skipIf(skip)('backup codes: ten shown once (no-store), a new set replaces the old, alone they do not require MFA', async () => {
    const { userId, browser } = await signedIn();
    const first = await browser.request('POST', '/v1/mfa/backup-codes');
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const codes = (first.body as { codes: string[] }).codes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const stored = await t.server.database.db.selectFrom('rampart_backup_codes').select('hash').where('subject', '=', userId).execute();
    expect(stored).toHaveLength(10);
    expect(JSON.stringify(stored)).not.toContain(codes[0]?.replace('-', '') ?? '?');
    const enrolled = await t.server.modules.mfa.factors.enrolled(userId);
    expect(enrolled).toEqual({ totp: false, backupCodes: 10, passkeys: 0 });
    expect(requiresSecondFactor(enrolled)).toBe(false);
    expect((await browser.request('GET', '/v1/mfa')).body).toMatchObject({ backupCodes: { remaining: 10 }, secondFactorRequired: false });

    const second = (await browser.request('POST', '/v1/mfa/backup-codes')).body as { codes: string[] };
    const factors = t.server.modules.mfa.factors;
    expect(await factors.verifyBackupCode(userId, codes[0] ?? '')).toEqual({ ok: false, reason: 'invalid' });
    expect(await factors.verifyBackupCode(userId, second.codes[0] ?? '')).toEqual({ ok: true, remaining: 9 });
    expect(JSON.stringify(t.events)).not.toContain(second.codes[0] ?? '?');
  });

  it.skipIf(skip)('attack: a backup code is spent once — reuse and two racing uses give one success', async () => {
    const { userId, browser } = await signedIn();
    const { codes } = (await browser.request('POST', '/v1/mfa/backup-codes')).body as { codes: string[] };
    const factors = t.server.modules.mfa.factors;
    expect(await factors.verifyBackupCode(userId, codes[0] ?? '')).toEqual({ ok: true, remaining: 9 });
    expect(await factors.verifyBackupCode(userId, codes[0] ?? '')).toEqual({ ok: false, reason: 'invalid' });
    const raced = await Promise.all([factors.verifyBackupCode(userId, codes[1] ?? ''), factors.verifyBackupCode(userId, codes[1] ?? '')]);
    expect(raced.filter((r) => r.ok)).toHaveLength(1);
    expect(await factors.verifyBackupCode(userId, 'not a code')).toEqual({ ok: false, reason: 'invalid' });
    expect(t.events.filter((e) => e.type === 'mfa.backup_code.failed' && e.subject === userId).map((e) => e.attributes?.reason)).toEqual(['invalid', 'invalid', 'malformed']);
  });

  it.skipIf(skip)("attack: user A's backup code does not work for user B", async () => {
    const a = await signedIn();
    const b = await signedIn();
    const { codes } = (await a.browser.request('POST', '/v1/mfa/backup-codes')).body as { codes: string[] };
    const factors = t.server.modules.mfa.factors;
    expect(await factors.verifyBackupCode(b.userId, codes[0] ?? '')).toEqual({ ok: false, reason: 'not_enrolled' });
    await b.browser.request('POST', '/v1/mfa/backup-codes');
    expect(await factors.verifyBackupCode(b.userId, codes[0] ?? '')).toEqual({ ok: false, reason: 'invalid' });
    // A's code is still there for A.
    expect(await factors.verifyBackupCode(a.userId, codes[0] ?? '')).toEqual({ ok: true, remaining: 9 });
  });

  it.skipIf(skip)('attack: guessing codes — past 10 verifications in 15 minutes every code of the account is refused unchecked', async () => {
    const { userId, browser } = await signedIn();
    const secret = await enrolledTotp(browser);
    const factors = t.server.modules.mfa.factors;
    for (let i = 0; i < 10; i++) expect((await factors.verifyTotp(userId, wrongTotpCode(secret, t.clock.now()))).ok).toBe(false);
    // The right code now is refused too: the budget is spent.
    expect(await factors.verifyTotp(userId, totpCode(secret, t.clock.now()))).toEqual({ ok: false, reason: 'invalid' });
    expect(t.events.some((e) => e.type === 'ratelimit.exceeded' && e.subject === userId)).toBe(true);
  });

  it.skipIf(skip)('attack: without a recent full authentication (11 minutes old) every factor change is 403 and nothing is stored', async () => {
    const userId = bystander;
    const stale = await browserSignedInAs(t, userId, { fullyAuthenticatedAt: t.clock.now() - ELEVEN_MINUTES });
    const attempts: [string, string, unknown][] = [
      ['POST', '/v1/mfa/totp', undefined],
      ['POST', '/v1/mfa/totp/confirm', { code: '123456' }],
      ['DELETE', '/v1/mfa/totp', undefined],
      ['POST', '/v1/mfa/backup-codes', undefined],
      ['POST', '/v1/mfa/passkeys/options', undefined],
      ['POST', '/v1/mfa/passkeys', { response: {} }],
      ['DELETE', '/v1/mfa/passkeys/AAAA', undefined],
    ];
    for (const [method, path, json] of attempts) {
      const response = await stale.request(method, path, json === undefined ? {} : { json });
      expect([path, response.status, codeOf(response)]).toEqual([path, 403, 'auth.step_up_required']);
    }
    // Reading stays allowed.
    expect((await stale.request('GET', '/v1/mfa')).status).toBe(200);
    expect(await totpRows(userId)).toEqual([]);
    expect(await t.server.modules.mfa.factors.enrolled(userId)).toEqual({ totp: false, backupCodes: 0, passkeys: 0 });
  });

  it.skipIf(skip)('attack: anonymous callers get 401 on every MFA route', async () => {
    for (const [method, path] of [['GET', '/v1/mfa'], ['POST', '/v1/mfa/totp'], ['POST', '/v1/mfa/backup-codes'], ['GET', '/v1/mfa/passkeys']] as const) {
      const response = await apiRequest(t.url, method, path);
      expect([path, response.status]).toEqual([path, 401]);
    }
  });

  it.skipIf(skip)('attack: CSRF — a cross-site request, or one without the token, changes no factor', async () => {
    const userId = bystander;
    const browser = await browserSignedInAs(t, userId);
    const routes: [string, string, unknown][] = [
      ['POST', '/v1/mfa/totp', undefined],
      ['POST', '/v1/mfa/totp/confirm', { code: '123456' }],
      ['DELETE', '/v1/mfa/totp', undefined],
      ['POST', '/v1/mfa/backup-codes', undefined],
      ['POST', '/v1/mfa/passkeys/options', undefined],
      ['POST', '/v1/mfa/passkeys', { response: {} }],
      ['DELETE', '/v1/mfa/passkeys/AAAA', undefined],
      ['POST', '/v1/mfa/passkeys/step-up/options', undefined],
      ['POST', '/v1/mfa/passkeys/step-up', { response: {} }],
    ];
    for (const [method, path, json] of routes) {
      const body = json === undefined ? {} : { json };
      const crossSite = await browser.request(method, path, { ...body, headers: CROSS_SITE });
      expect([path, crossSite.status, codeOf(crossSite)]).toEqual([path, 403, 'csrf.cross_site']);
      const noToken = await browser.request(method, path, { ...body, withoutCsrfToken: true });
      expect([path, noToken.status]).toEqual([path, 403]);
    }
    expect(await totpRows(userId)).toEqual([]);
    expect(await t.server.modules.mfa.factors.enrolled(userId)).toEqual({ totp: false, backupCodes: 0, passkeys: 0 });
  });

  it.skipIf(skip)('attack: mass assignment — extra members are a 400 and nothing is stored', async () => {
    const userId = bystander;
    const browser = await browserSignedInAs(t, userId);
    const chosen = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const withSecret = await browser.request('POST', '/v1/mfa/totp', { json: { secret: chosen } });
    expect(withSecret.status).toBe(400);
    expect(codeOf(withSecret)).toBe('validation.failed');
    expect(withSecret.text).not.toContain(chosen);
    const confirmed = await browser.request('POST', '/v1/mfa/totp/confirm', { json: { code: '123456', confirmed: true } });
    expect(confirmed.status).toBe(400);
    const withCodes = await browser.request('POST', '/v1/mfa/backup-codes', { json: { codes: ['aaaaa-aaaaa'], count: 50 } });
    expect(withCodes.status).toBe(400);
    expect(await totpRows(userId)).toEqual([]);
    expect(await t.server.modules.mfa.factors.enrolled(userId)).toEqual({ totp: false, backupCodes: 0, passkeys: 0 });
  });

  it.skipIf(skip)('attack: malformed and oversized bodies are 4xx problems and store nothing', async () => {
    const userId = bystander;
    const browser = await browserSignedInAs(t, userId);
    const token = await browser.csrfToken();
    const headers = { cookie: browser.cookieHeader(), origin: new URL(t.url).origin, 'sec-fetch-site': 'same-origin', 'x-csrf-token': token, 'content-type': 'application/json' };
    const broken = await apiRequest(t.url, 'POST', '/v1/mfa/backup-codes', { headers, rawBody: '{"a":' });
    expect(broken.status).toBe(400);
    expect(broken.headers.get('content-type')).toContain('application/problem+json');
    const notObject = await apiRequest(t.url, 'POST', '/v1/mfa/totp/confirm', { headers, rawBody: '["123456"]' });
    expect(notObject.status).toBe(400);
    const wrongType = await apiRequest(t.url, 'POST', '/v1/mfa/totp/confirm', { headers, rawBody: '{"code":123456}' });
    expect(wrongType.status).toBe(400);
    const huge = await apiRequest(t.url, 'POST', '/v1/mfa/totp/confirm', { headers, rawBody: JSON.stringify({ code: 'x'.repeat(100_000) }) });
    expect(huge.status).toBe(413);
    const longCode = await browser.request('POST', '/v1/mfa/totp/confirm', { json: { code: '1'.repeat(33) } });
    expect(longCode.status).toBe(400);
    expect(await totpRows(userId)).toEqual([]);
    expect(await t.server.modules.mfa.factors.enrolled(userId)).toEqual({ totp: false, backupCodes: 0, passkeys: 0 });
  });

  it.skipIf(skip)('a server reached at an IP address has no passkeys: 503 mfa.passkeys_unavailable', async () => {
    const browser = await browserSignedInAs(t, bystander);
    expect(t.server.modules.mfa.relyingParty).toBeUndefined();
    const options = await browser.request('POST', '/v1/mfa/passkeys/options');
    expect(options.status).toBe(503);
    expect(codeOf(options)).toBe('mfa.passkeys_unavailable');
    expect((await browser.request('GET', '/v1/mfa/passkeys')).body).toEqual({ passkeys: [] });
    expect((await browser.request('GET', '/v1/mfa')).body).toMatchObject({ passkeys: { count: 0, available: false } });
    const login = await apiRequest(t.url, 'POST', '/v1/login/passkey/options', { json: {} });
    expect(login.status).toBe(503);
  });

  it.skipIf(skip)('passkeys registered before the public URL changed still count (MFA stays required) and can be removed', async () => {
    const userId = await insertedUser(t, 'moved@example.test');
    await t.server.database.db
      .insertInto('rampart_webauthn_credentials')
      .values({ id: 'Y3JlZC1tb3ZlZA', user_id: userId, public_key: 'AA', counter: 0, transports: '[]', device_type: 'singleDevice', backed_up: 0, aaguid: '00000000-0000-0000-0000-000000000000', created_at: t.clock.now(), last_used_at: null, flagged_reason: null, flagged_at: null })
      .execute();
    expect(requiresSecondFactor(await t.server.modules.mfa.factors.enrolled(userId))).toBe(true);
    const browser = await browserSignedInAs(t, userId);
    expect(((await browser.request('GET', '/v1/mfa/passkeys')).body as { passkeys: unknown[] }).passkeys).toHaveLength(1);
    expect((await browser.request('DELETE', '/v1/mfa/passkeys/Y3JlZC1tb3ZlZA')).status).toBe(204);
    expect(await t.server.modules.mfa.factors.enrolled(userId)).toEqual({ totp: false, backupCodes: 0, passkeys: 0 });
  });
});
