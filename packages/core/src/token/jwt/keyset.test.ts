import { describe, expect, it } from 'vitest';
import { KeyRing } from '../../crypto/keyring.js';
import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { ManualClock } from '../../clock.js';
import { createJwtIssuer } from './issuer.js';
import { JwtKeyError, JwtKeySet } from './keyset.js';
import type { EncryptedJwtKeySet } from './storage.js';
import { createJwtVerifier } from './verifier.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

describe('JwtKeySet', () => {
  it('generates Ed25519 by default, ES256 on request, with RFC 7638 thumbprints as kids', async () => {
    const ed = await JwtKeySet.generate();
    expect(ed.current.alg).toBe('EdDSA');
    expect(ed.current.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const es = await JwtKeySet.generate({ algorithm: 'ES256' });
    expect(es.current.alg).toBe('ES256');
    expect(es.jwks().keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: es.current.kid });
  });

  it('JWKS lists current and previous public keys and never a private member or a symmetric key', async () => {
    const keys = await JwtKeySet.generate();
    const first = keys.current.kid;
    const second = await keys.rotate('ES256');
    keys.addSymmetric(Buffer.alloc(32, 7), { kid: 'hs' });
    const jwks = keys.jwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual([first, second]);
    const serialized = JSON.stringify(jwks);
    for (const member of PRIVATE_MEMBERS) {
      for (const key of jwks.keys) expect(Object.keys(key)).not.toContain(member);
      expect(serialized).not.toContain(`"${member}":`);
    }
    expect(JSON.stringify(keys)).not.toContain('"d"');
  });

  it('rotation overlaps: the new key signs, the previous one verifies until retired, then its tokens fail', async () => {
    const clock = new ManualClock();
    const events: SecurityEvent[] = [];
    const keys = await JwtKeySet.generate({ events: (e) => events.push(e) });
    const issuer = createJwtIssuer({ keys, issuer: 'iss', audience: 'aud', clock });
    const verifier = createJwtVerifier({ keys, issuer: 'iss', audience: 'aud', clock });
    const before = issuer.issueAccessToken({ sub: 'u' });
    const oldKid = keys.current.kid;
    const newKid = await keys.rotate();
    const after = issuer.issueAccessToken({ sub: 'u' });
    expect(after.kid).toBe(newKid);
    expect(verifier.verify(before.token).ok).toBe(true);
    expect(verifier.verify(after.token).ok).toBe(true);
    keys.retire(oldKid);
    // The cached verdict for `before` is dropped with the key.
    expect(verifier.verify(before.token)).toEqual({ ok: false, reason: 'unknown_kid' });
    expect(verifier.verify(after.token).ok).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['token.signing_key.rotated', 'token.signing_key.rotated', 'token.signing_key.retired']);
    expect(JSON.stringify(events)).not.toMatch(/"d"|BEGIN/);
  });

  it('refuses to retire the signing key or an unknown kid', async () => {
    const keys = await JwtKeySet.generate();
    expect(() => {
      keys.retire(keys.current.kid);
    }).toThrow(JwtKeyError);
    expect(() => {
      keys.retire('nope');
    }).toThrow(JwtKeyError);
  });

  it('refuses HS256 secrets below 256 bits and unsupported JWKs (ConfigurationError)', async () => {
    const keys = JwtKeySet.empty();
    expect(() => keys.addSymmetric(Buffer.alloc(31))).toThrow(ConfigurationError);
    expect(() => keys.addSymmetric('c2hvcnQ')).toThrow(ConfigurationError);
    await expect(keys.import({ kty: 'RSA', n: 'AQAB', e: 'AQAB' })).rejects.toThrow(ConfigurationError);
    await expect(keys.import({ kty: 'oct', k: Buffer.alloc(16).toString('base64url') })).rejects.toThrow(ConfigurationError);
    const ed = (await JwtKeySet.generate()).jwks().keys[0]!;
    await expect(keys.import({ ...ed, alg: 'ES256' })).rejects.toThrow(ConfigurationError);
    await expect(keys.import({ ...ed, kid: '../etc/passwd' })).rejects.toThrow(ConfigurationError);
  });

  it('a public-only key verifies but cannot become the signer', async () => {
    const keys = JwtKeySet.empty();
    const ed = (await JwtKeySet.generate()).jwks().keys[0]!;
    await expect(keys.import(ed, { current: true })).rejects.toThrow(JwtKeyError);
    await keys.import(ed);
    expect(() => keys.current).toThrow(JwtKeyError);
  });
});

describe('JwtKeySet encrypted storage', () => {
  async function sample(): Promise<{ ring: KeyRing; keys: JwtKeySet; doc: EncryptedJwtKeySet }> {
    const ring = KeyRing.generate({ name: 'jwt' });
    const keys = await JwtKeySet.generate();
    await keys.rotate('ES256');
    keys.addSymmetric(Buffer.alloc(32, 9), { kid: 'hs' });
    return { ring, keys, doc: keys.exportEncrypted(ring) };
  }

  it('round-trips: the imported set signs tokens the original verifies, and publishes the same JWKS', async () => {
    const { ring, keys, doc } = await sample();
    const restored = JwtKeySet.importEncrypted(ring, JSON.parse(JSON.stringify(doc)) as EncryptedJwtKeySet);
    expect(restored.current.kid).toBe(keys.current.kid);
    expect(restored.jwks()).toEqual(keys.jwks());
    const clock = new ManualClock();
    const token = createJwtIssuer({ keys: restored, issuer: 'i', audience: 'a', clock }).issueAccessToken({ sub: 'u' }).token;
    expect(createJwtVerifier({ keys, issuer: 'i', audience: 'a', clock }).verify(token).ok).toBe(true);
  });

  it('the document holds no private key material in clear', async () => {
    const { keys, doc } = await sample();
    const text = JSON.stringify(doc);
    expect(text).not.toContain('"d":');
    expect(text).not.toContain('"k":');
    expect(text).not.toContain(Buffer.alloc(32, 9).toString('base64url'));
    const privateD = keys.current.signingKey.export({ format: 'jwk' }).d ?? 'missing';
    expect(text).not.toContain(privateD);
  });

  it('attack: a sealed private key moved under another kid (or relabelled) fails to open', async () => {
    const { ring, doc } = await sample();
    const [a, b] = doc.keys;
    const swapped = { ...doc, keys: [{ ...a!, private: b!.private }, { ...b!, private: a!.private }, ...doc.keys.slice(2)] };
    expect(() => JwtKeySet.importEncrypted(ring, swapped)).toThrow(ConfigurationError);
    const relabelled = { ...doc, keys: doc.keys.map((k) => (k.kid === 'hs' ? { ...k, kid: 'hs2' } : k)) };
    expect(() => JwtKeySet.importEncrypted(ring, relabelled)).toThrow(ConfigurationError);
  });

  it('attack: a replaced public part (so the JWKS would publish an attacker key) is refused', async () => {
    const { ring, doc } = await sample();
    const foreign = (await JwtKeySet.generate()).jwks().keys[0]!;
    const edEntry = doc.keys.find((k) => k.alg === 'EdDSA')!;
    const tampered = { ...doc, keys: doc.keys.map((k) => (k === edEntry ? { ...k, public: { ...foreign, kid: k.kid } } : k)) };
    expect(() => JwtKeySet.importEncrypted(ring, tampered)).toThrow(ConfigurationError);
  });

  it('attack: another ring, a flipped ciphertext byte, or a bad format cannot be imported', async () => {
    const { doc, ring } = await sample();
    expect(() => JwtKeySet.importEncrypted(KeyRing.generate({ name: 'jwt' }), doc)).toThrow(ConfigurationError);
    const first = doc.keys[0]!;
    const envelope = first.private!;
    const flipped = envelope.slice(0, 30) + (envelope[30] === 'A' ? 'B' : 'A') + envelope.slice(31);
    expect(() => JwtKeySet.importEncrypted(ring, { ...doc, keys: [{ ...first, private: flipped }] })).toThrow(ConfigurationError);
    expect(() => JwtKeySet.importEncrypted(ring, { ...doc, format: 'other' } as unknown as EncryptedJwtKeySet)).toThrow(ConfigurationError);
  });

  it('keeps opening after the ring rotates (the envelope names its ring key)', async () => {
    const { ring, keys, doc } = await sample();
    ring.rotate();
    expect(JwtKeySet.importEncrypted(ring, doc).current.kid).toBe(keys.current.kid);
  });
});
