import { describe, expect, it } from 'vitest';
import { authenticate, fixture, ORIGIN, registerAuthenticator } from './test/fixture.js';
import { otherSigningKey, SoftAuthenticator } from './test/soft-authenticator.js';

describe('webauthn authentication (WebAuthn L3 §7.2)', () => {
  it('authenticates a named user with a real signed assertion and records the use', async () => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a', { counter: 1 });
    fx.clock.advance(60_000);
    const { ceremonyId, options } = await fx.webauthn.startAuthentication('user-a');
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([authenticator.id]);
    expect(options.userVerification).toBe('required');
    const result = await fx.webauthn.finishAuthentication(ceremonyId, authenticator.authenticate(options), 'user-a');
    expect(result).toEqual({
      ok: true,
      value: {
        userId: 'user-a',
        credentialId: authenticator.id,
        userVerified: true,
        deviceType: 'singleDevice',
        backedUp: false,
        counter: 2,
      },
    });
    expect(await fx.credentials.findById(authenticator.id)).toMatchObject({
      counter: 2,
      lastUsedAt: new Date(fx.clock.now()),
    });
  });

  it('authenticates usernameless (discoverable passkey): the credential names the user', async () => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a', { backedUp: true });
    const { ceremonyId, options } = await fx.webauthn.startAuthentication();
    expect(options.allowCredentials).toBeUndefined();
    const result = await fx.webauthn.finishAuthentication(ceremonyId, authenticator.authenticate(options));
    expect(result.ok && result.value.userId).toBe('user-a');
  });

  it('accepts passkeys without a signature counter (0 on both sides) again and again', async () => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a');
    for (let i = 0; i < 3; i++) {
      expect((await authenticate(fx, authenticator, { userId: 'user-a' })).ok).toBe(true);
    }
    expect(fx.events.map((e) => e.type)).toEqual(['mfa.webauthn.registered']);
  });

  it('ATTACK: the same authentication response submitted twice is refused the second time (replay)', async () => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a');
    const { ceremonyId, options } = await fx.webauthn.startAuthentication('user-a');
    const response = authenticator.authenticate(options);
    expect((await fx.webauthn.finishAuthentication(ceremonyId, response)).ok).toBe(true);
    expect(await fx.webauthn.finishAuthentication(ceremonyId, response)).toEqual({
      ok: false,
      reason: 'challenge_unknown',
    });
    // Nor can the captured response complete a fresh ceremony: it signed the old challenge.
    const fresh = await fx.webauthn.startAuthentication('user-a');
    expect(await fx.webauthn.finishAuthentication(fresh.ceremonyId, response)).toEqual({
      ok: false,
      reason: 'verification_failed',
    });
  });

  it('ATTACK: a failed attempt burns the challenge, so it cannot be retried with a corrected response', async () => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a');
    const { ceremonyId, options } = await fx.webauthn.startAuthentication('user-a');
    const forged = authenticator.authenticate(options, { origin: 'https://evil.example' });
    expect((await fx.webauthn.finishAuthentication(ceremonyId, forged)).ok).toBe(false);
    const genuine = authenticator.authenticate(options);
    expect(await fx.webauthn.finishAuthentication(ceremonyId, genuine)).toEqual({
      ok: false,
      reason: 'challenge_unknown',
    });
  });

  it('ATTACK: an expired challenge is refused (5 minutes by default)', async () => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a');
    const late = await fx.webauthn.startAuthentication('user-a');
    fx.clock.advance(300_000);
    expect(await fx.webauthn.finishAuthentication(late.ceremonyId, authenticator.authenticate(late.options))).toEqual({
      ok: false,
      reason: 'challenge_expired',
    });
    const inTime = await fx.webauthn.startAuthentication('user-a');
    fx.clock.advance(299_999);
    const onTime = authenticator.authenticate(inTime.options);
    expect((await fx.webauthn.finishAuthentication(inTime.ceremonyId, onTime)).ok).toBe(true);
  });

  it('honours a configured challenge TTL', async () => {
    const fx = fixture({ challengeTtlSeconds: 60 });
    const authenticator = await registerAuthenticator(fx, 'user-a');
    const { ceremonyId, options } = await fx.webauthn.startAuthentication('user-a');
    expect(options.timeout).toBe(60_000);
    fx.clock.advance(60_001);
    expect(await fx.webauthn.finishAuthentication(ceremonyId, authenticator.authenticate(options))).toEqual({
      ok: false,
      reason: 'challenge_expired',
    });
  });

  it.each([
    ['a phishing origin', { origin: 'https://evil.example' }],
    ['an unlisted subdomain origin', { origin: 'https://sub.example.com' }],
    ['the same host over http', { origin: 'http://example.com' }],
    ['another RP id (rpIdHash of evil.example)', { rpId: 'evil.example' }],
    ['a registration type (webauthn.create) in an assertion', { type: 'webauthn.create' }],
    ['a signature by a different key', { signingKey: otherSigningKey() }],
    ['no user verification while required', { userVerified: false }],
    ['no user presence', { userPresent: false }],
    ['a cross-origin iframe', { crossOrigin: true }],
  ])('ATTACK: an assertion with %s is refused', async (_name, overrides) => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a', { counter: 1 });
    expect(await authenticate(fx, authenticator, { userId: 'user-a', overrides })).toEqual({
      ok: false,
      reason: 'verification_failed',
    });
    // Nothing about the stored credential moved.
    expect(await fx.credentials.findById(authenticator.id)).toMatchObject({ counter: 1 });
    expect((await fx.credentials.findById(authenticator.id))?.lastUsedAt).toBeUndefined();
  });

  it('accepts an assertion without UV when the policy is "preferred", and reports it', async () => {
    const fx = fixture({ userVerification: 'preferred' });
    const authenticator = await registerAuthenticator(fx, 'user-a');
    const result = await authenticate(fx, authenticator, { userId: 'user-a', overrides: { userVerified: false } });
    expect(result.ok && result.value.userVerified).toBe(false);
  });

  it('accepts cross-origin iframes only when allowCrossOrigin is set', async () => {
    const fx = fixture({ allowCrossOrigin: true });
    const authenticator = await registerAuthenticator(fx, 'user-a');
    expect((await authenticate(fx, authenticator, { overrides: { crossOrigin: true } })).ok).toBe(true);
  });

  it('ATTACK: a cloned authenticator whose counter goes back (5 → 3) is refused, flagged and reported', async () => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a', { counter: 4 });
    expect((await authenticate(fx, authenticator, { userId: 'user-a' })).ok).toBe(true); // counter now 5
    const clone = await authenticate(fx, authenticator, { userId: 'user-a', overrides: { counter: 3 } });
    expect(clone).toEqual({ ok: false, reason: 'counter_regression' });
    expect(fx.events.at(-1)).toMatchObject({
      type: 'mfa.webauthn.counter_regression',
      subject: 'user-a',
      attributes: { credentialId: authenticator.id, storedCounter: 5, receivedCounter: 3, flagged: true },
    });
    expect((await fx.credentials.findById(authenticator.id))?.flagged).toEqual({
      reason: 'counter_regression',
      at: new Date(fx.clock.now()),
    });
    // Both copies are now suspect: the genuine device is refused too, and no longer offered.
    expect(await authenticate(fx, authenticator, { userId: 'user-a' })).toEqual({
      ok: false,
      reason: 'credential_disabled',
    });
    expect((await fx.webauthn.startAuthentication('user-a')).options.allowCredentials).toEqual([]);
  });

  it.each([
    ['stays equal (5 → 5)', 5],
    ['drops to zero (5 → 0)', 0],
  ])('ATTACK: a non-zero counter that %s is refused as a regression', async (_name, counter) => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a', { counter: 5 });
    expect(await authenticate(fx, authenticator, { overrides: { counter } })).toEqual({
      ok: false,
      reason: 'counter_regression',
    });
    expect(fx.events.map((e) => e.type)).toContain('mfa.webauthn.counter_regression');
  });

  it('refuses a regression without disabling the credential when flagOnCounterRegression is false', async () => {
    const fx = fixture({ flagOnCounterRegression: false });
    const authenticator = await registerAuthenticator(fx, 'user-a', { counter: 5 });
    expect((await authenticate(fx, authenticator, { overrides: { counter: 5 } })).ok).toBe(false);
    expect(fx.events.at(-1)?.attributes).toMatchObject({ flagged: false });
    expect((await authenticate(fx, authenticator)).ok).toBe(true);
  });

  it('ATTACK: a forged low counter without the private key neither reports nor disables the credential', async () => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a', { counter: 5 });
    const forged = await authenticate(fx, authenticator, { overrides: { counter: 1, signingKey: otherSigningKey() } });
    expect(forged).toEqual({ ok: false, reason: 'verification_failed' });
    expect(fx.events.map((e) => e.type)).not.toContain('mfa.webauthn.counter_regression');
    expect((await authenticate(fx, authenticator)).ok).toBe(true);
  });

  it('ATTACK: two concurrent assertions from a clone with the same counter: only one is accepted', async () => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a', { counter: 5 });
    const results = await Promise.all([
      authenticate(fx, authenticator, { overrides: { counter: 6 } }),
      authenticate(fx, authenticator, { overrides: { counter: 6 } }),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, reason: 'counter_regression' }]);
  });

  describe('ATTACK: a credential of user A used to log in as user B', () => {
    it('is refused in a ceremony started for user B', async () => {
      const fx = fixture();
      const authenticatorA = await registerAuthenticator(fx, 'user-a');
      await registerAuthenticator(fx, 'user-b');
      expect(await authenticate(fx, authenticatorA, { userId: 'user-b' })).toEqual({
        ok: false,
        reason: 'user_mismatch',
      });
    });

    it('is refused when the caller expects user B', async () => {
      const fx = fixture();
      const authenticatorA = await registerAuthenticator(fx, 'user-a');
      expect(await authenticate(fx, authenticatorA, { expectedUserId: 'user-b' })).toEqual({
        ok: false,
        reason: 'user_mismatch',
      });
    });

    it('is refused when the returned user handle names user B', async () => {
      const fx = fixture();
      const authenticatorA = await registerAuthenticator(fx, 'user-a');
      const userHandle = Buffer.from('user-b').toString('base64url');
      expect(await authenticate(fx, authenticatorA, { overrides: { userHandle } })).toEqual({
        ok: false,
        reason: 'user_mismatch',
      });
    });
  });

  it('ATTACK: an assertion from an unknown credential id is refused', async () => {
    const fx = fixture();
    await registerAuthenticator(fx, 'user-a');
    const stranger = new SoftAuthenticator({ origin: ORIGIN });
    expect(await authenticate(fx, stranger)).toEqual({ ok: false, reason: 'credential_unknown' });
  });

  it('ATTACK: a registration ceremony id cannot complete an authentication', async () => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a');
    const { ceremonyId } = await fx.webauthn.startRegistration({ id: 'user-a', name: 'a' });
    const { options } = await fx.webauthn.startAuthentication('user-a');
    expect(await fx.webauthn.finishAuthentication(ceremonyId, authenticator.authenticate(options))).toEqual({
      ok: false,
      reason: 'challenge_unknown',
    });
  });

  it('refuses structurally invalid responses as malformed', async () => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a');
    const cases: ((r: ReturnType<SoftAuthenticator['authenticate']>) => unknown)[] = [
      () => null,
      (r) => ({ ...r, rawId: 'AAAA' }),
      (r) => ({ ...r, type: 'password' }),
      (r) => ({ ...r, response: { ...r.response, signature: 42 } }),
      (r) => ({ ...r, response: { ...r.response, clientDataJSON: 'not base64url!' } }),
      (r) => ({ ...r, response: { ...r.response, clientDataJSON: Buffer.from('[1]').toString('base64url') } }),
      (r) => ({ ...r, response: { ...r.response, authenticatorData: 'A'.repeat(100_000) } }),
      (r) => ({
        ...r,
        get response(): never {
          throw new Error('hostile getter');
        },
      }),
      () =>
        new Proxy(
          {},
          {
            get() {
              throw new Error('hostile proxy');
            },
          },
        ),
    ];
    for (const mutate of cases) {
      const { ceremonyId, options } = await fx.webauthn.startAuthentication('user-a');
      expect(await fx.webauthn.finishAuthentication(ceremonyId, mutate(authenticator.authenticate(options)))).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
  });
});
