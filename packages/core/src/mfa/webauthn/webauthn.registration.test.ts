import { describe, expect, it } from 'vitest';
import { fixture, ORIGIN, registerAuthenticator, RP_ID } from './test/fixture.js';
import { SoftAuthenticator } from './test/soft-authenticator.js';
import { WebAuthnUserError } from './webauthn.js';

const alice = { id: 'user-a', name: 'alice@example.com' };

describe('webauthn registration (WebAuthn L3 §7.1)', () => {
  it('registers a real ES256 authenticator with "none" attestation and stores its public data', async () => {
    const fx = fixture();
    const authenticator = new SoftAuthenticator({ origin: ORIGIN, counter: 7 });
    const { ceremonyId, options } = await fx.webauthn.startRegistration(alice);
    expect(options.rp).toEqual({ id: RP_ID, name: 'Example' });
    expect(options.authenticatorSelection?.userVerification).toBe('required');
    expect(options.timeout).toBe(300_000);
    expect(options.user.id).toBe(Buffer.from('user-a').toString('base64url'));

    const result = await fx.webauthn.finishRegistration(ceremonyId, 'user-a', authenticator.register(options));
    expect(result.ok).toBe(true);
    const stored = await fx.credentials.findById(authenticator.id);
    expect(stored).toMatchObject({
      id: authenticator.id,
      userId: 'user-a',
      counter: 7,
      transports: ['usb'],
      deviceType: 'singleDevice',
      backedUp: false,
      createdAt: new Date(fx.clock.now()),
    });
    expect(stored?.publicKey.length).toBeGreaterThan(64);
    expect(fx.events).toEqual([
      expect.objectContaining({
        type: 'mfa.webauthn.registered',
        subject: 'user-a',
        attributes: expect.objectContaining({ credentialId: authenticator.id }) as unknown,
      }),
    ]);
  });

  it('records a synced passkey (backup flags) as multiDevice and backed up', async () => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a', { backedUp: true });
    const stored = await fx.credentials.findById(authenticator.id);
    expect(stored).toMatchObject({ deviceType: 'multiDevice', backedUp: true });
  });

  it('stores only known transports, once each', async () => {
    const fx = fixture();
    const authenticator = new SoftAuthenticator({ origin: ORIGIN });
    const { ceremonyId, options } = await fx.webauthn.startRegistration(alice);
    const response = authenticator.register(options);
    const transports = ['usb', 'usb', 'carrier-pigeon', 'internal'];
    const result = await fx.webauthn.finishRegistration(ceremonyId, 'user-a', {
      ...response,
      response: { ...response.response, transports },
    });
    expect(result.ok && result.value.transports).toEqual(['usb', 'internal']);
  });

  it('lists already registered credentials in excludeCredentials', async () => {
    const fx = fixture();
    const first = await registerAuthenticator(fx, 'user-a');
    const { options } = await fx.webauthn.startRegistration(alice);
    expect(options.excludeCredentials?.map((c) => c.id)).toEqual([first.id]);
  });

  it('ATTACK: registering one authenticator credential twice is refused, for the same or another user', async () => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a');
    // A client that ignores excludeCredentials and replays the same credential id.
    const again = await fx.webauthn.startRegistration(alice);
    const replayed = authenticator.register(again.options);
    const same = await fx.webauthn.finishRegistration(again.ceremonyId, 'user-a', replayed);
    expect(same).toEqual({ ok: false, reason: 'credential_exists' });
    const bob = await fx.webauthn.startRegistration({ id: 'user-b', name: 'bob@example.com' });
    const other = await fx.webauthn.finishRegistration(bob.ceremonyId, 'user-b', authenticator.register(bob.options));
    expect(other).toEqual({ ok: false, reason: 'credential_exists' });
    expect((await fx.credentials.findById(authenticator.id))?.userId).toBe('user-a');
  });

  it('ATTACK: a registration response replayed against the same ceremony is refused', async () => {
    const fx = fixture();
    const { ceremonyId, options } = await fx.webauthn.startRegistration(alice);
    const response = new SoftAuthenticator({ origin: ORIGIN }).register(options);
    expect((await fx.webauthn.finishRegistration(ceremonyId, 'user-a', response)).ok).toBe(true);
    expect(await fx.webauthn.finishRegistration(ceremonyId, 'user-a', response)).toEqual({
      ok: false,
      reason: 'challenge_unknown',
    });
  });

  it('ATTACK: an expired registration challenge is refused', async () => {
    const fx = fixture();
    const { ceremonyId, options } = await fx.webauthn.startRegistration(alice);
    fx.clock.advance(300_000);
    const response = new SoftAuthenticator({ origin: ORIGIN }).register(options);
    expect(await fx.webauthn.finishRegistration(ceremonyId, 'user-a', response)).toEqual({
      ok: false,
      reason: 'challenge_expired',
    });
  });

  it('ATTACK: finishing user A\'s registration ceremony as user B is refused', async () => {
    const fx = fixture();
    const { ceremonyId, options } = await fx.webauthn.startRegistration(alice);
    const response = new SoftAuthenticator({ origin: ORIGIN }).register(options);
    expect(await fx.webauthn.finishRegistration(ceremonyId, 'user-b', response)).toEqual({
      ok: false,
      reason: 'user_mismatch',
    });
  });

  it.each([
    ['a phishing origin', { origin: 'https://evil.example' }],
    ['an unlisted subdomain origin', { origin: 'https://sub.example.com' }],
    ['another RP id', { rpId: 'evil.example' }],
    ['an assertion type (webauthn.get)', { type: 'webauthn.get' }],
    ['another challenge', { challenge: Buffer.from('forged challenge').toString('base64url') }],
    ['no user verification while required', { userVerified: false }],
    ['no user presence', { userPresent: false }],
    ['a cross-origin iframe', { crossOrigin: true }],
  ])('ATTACK: a registration from %s is refused', async (_name, overrides) => {
    const fx = fixture();
    const authenticator = new SoftAuthenticator({ origin: ORIGIN });
    const { ceremonyId, options } = await fx.webauthn.startRegistration(alice);
    const forged = authenticator.register(options, overrides);
    const result = await fx.webauthn.finishRegistration(ceremonyId, 'user-a', forged);
    expect(result).toEqual({ ok: false, reason: 'verification_failed' });
    expect(await fx.credentials.findById(authenticator.id)).toBeUndefined();
    expect(fx.events).toEqual([]);
  });

  it('accepts a registration without UV when the policy is "preferred"', async () => {
    const fx = fixture({ userVerification: 'preferred' });
    const { ceremonyId, options } = await fx.webauthn.startRegistration(alice);
    expect(options.authenticatorSelection?.userVerification).toBe('preferred');
    const response = new SoftAuthenticator({ origin: ORIGIN }).register(options, { userVerified: false });
    expect((await fx.webauthn.finishRegistration(ceremonyId, 'user-a', response)).ok).toBe(true);
  });

  it('ATTACK: an outer credential id that differs from the signed authenticator data is refused', async () => {
    const fx = fixture();
    const { ceremonyId, options } = await fx.webauthn.startRegistration(alice);
    const response = new SoftAuthenticator({ origin: ORIGIN }).register(options);
    const forgedId = Buffer.alloc(32, 1).toString('base64url');
    const forged = { ...response, id: forgedId, rawId: forgedId };
    const result = await fx.webauthn.finishRegistration(ceremonyId, 'user-a', forged);
    expect(result).toEqual({ ok: false, reason: 'verification_failed' });
    expect(await fx.credentials.findById(forgedId)).toBeUndefined();
  });

  it('ATTACK: an authentication ceremony id cannot complete a registration', async () => {
    const fx = fixture();
    const { options } = await fx.webauthn.startRegistration(alice);
    const { ceremonyId } = await fx.webauthn.startAuthentication('user-a');
    const response = new SoftAuthenticator({ origin: ORIGIN }).register(options);
    expect(await fx.webauthn.finishRegistration(ceremonyId, 'user-a', response)).toEqual({
      ok: false,
      reason: 'challenge_unknown',
    });
  });

  it('refuses unusable user ids when starting (user handle is 1 to 64 bytes, WebAuthn L3 §5.4.3)', async () => {
    const fx = fixture();
    await expect(fx.webauthn.startRegistration({ id: '', name: 'x' })).rejects.toBeInstanceOf(WebAuthnUserError);
    await expect(fx.webauthn.startRegistration({ id: 'é'.repeat(33), name: 'x' })).rejects.toBeInstanceOf(
      WebAuthnUserError,
    );
    await expect(fx.webauthn.startRegistration({ id: 'u', name: '' })).rejects.toBeInstanceOf(WebAuthnUserError);
  });
});
