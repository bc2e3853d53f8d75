import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { ConfigurationError, RampartError } from '../../errors.js';
import { createJwtIssuer } from './issuer.js';
import { JwtKeySet } from './keyset.js';
import { createJwtVerifier } from './verifier.js';

async function setup(options: { cache?: false } = {}) {
  const clock = new ManualClock();
  const keys = await JwtKeySet.generate();
  const issuer = createJwtIssuer({ keys, issuer: 'https://id.example', audience: 'api', clock, ttlSeconds: 600 });
  const verifier = createJwtVerifier({ keys, issuer: 'https://id.example', audience: ['api', 'admin'], clock, ...options });
  return { clock, keys, issuer, verifier };
}

describe('createJwtIssuer + createJwtVerifier', () => {
  it('issues RFC 9068 access tokens that verify, with every required claim', async () => {
    const { issuer, verifier, clock, keys } = await setup();
    const issued = issuer.issueAccessToken({ sub: 'user-7', scope: 'read', client_id: 'web' });
    const result = verifier.verify(issued.token);
    if (!result.ok) throw new Error(result.reason);
    const { header, claims } = result.value;
    expect(header).toEqual({ alg: 'EdDSA', kid: keys.current.kid, typ: 'at+jwt' });
    const iat = clock.now() / 1000;
    expect(claims).toMatchObject({ iss: 'https://id.example', aud: 'api', sub: 'user-7', scope: 'read', iat, exp: iat + 600, jti: issued.jti });
    expect(issued.jti).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(issued.expiresAt).toBe(iat + 600);
    expect(Object.isFrozen(claims)).toBe(true);
  });

  it('every token gets a fresh jti', async () => {
    const { issuer } = await setup();
    const jtis = new Set(Array.from({ length: 50 }, () => issuer.issueAccessToken({ sub: 'u' }).jti));
    expect(jtis.size).toBe(50);
  });

  it('refuses caller-supplied registered claims and a missing sub', async () => {
    const { issuer } = await setup();
    for (const name of ['iss', 'aud', 'exp', 'iat', 'nbf', 'jti']) {
      expect(() => issuer.issueAccessToken({ sub: 'u', [name]: 1 })).toThrow(RampartError);
    }
    expect(() => issuer.issueAccessToken({ sub: '' })).toThrow(RampartError);
  });

  it('expires on time, also when the verdict is cached (ManualClock, no sleeping)', async () => {
    const { issuer, verifier, clock } = await setup();
    const { token } = issuer.issueAccessToken({ sub: 'u' });
    expect(verifier.verify(token).ok).toBe(true);
    clock.advance(600_000 + 29_000);
    expect(verifier.verify(token).ok).toBe(true); // inside the 30 s leeway
    clock.advance(2_000);
    expect(verifier.verify(token)).toEqual({ ok: false, reason: 'expired' });
  });

  it('a cached token is not accepted by a verifier with other expectations, and evict forces a full check', async () => {
    const { issuer, verifier, keys, clock } = await setup();
    const { token } = issuer.issueAccessToken({ sub: 'u' });
    expect(verifier.verify(token).ok).toBe(true);
    const other = createJwtVerifier({ keys, issuer: 'https://id.example', audience: 'billing', clock });
    expect(other.verify(token)).toEqual({ ok: false, reason: 'audience_mismatch' });
    verifier.evict(token);
    expect(verifier.verify(token).ok).toBe(true);
  });

  it('works the same without the cache', async () => {
    const { issuer, verifier } = await setup({ cache: false });
    const { token } = issuer.issueAccessToken({ sub: 'u' });
    expect(verifier.verify(token).ok).toBe(true);
    expect(verifier.verify(token.slice(0, -2))).toMatchObject({ ok: false });
  });

  it('requireTyp: false accepts other token types; requiredClaims adds presence checks', async () => {
    const { issuer, keys, clock } = await setup();
    const { token } = issuer.issue({ sub: 'u' }, { typ: 'JWT' });
    expect(createJwtVerifier({ keys, issuer: 'https://id.example', audience: 'api', clock }).verify(token)).toEqual({ ok: false, reason: 'typ_mismatch' });
    expect(createJwtVerifier({ keys, issuer: 'https://id.example', audience: 'api', clock, requireTyp: false }).verify(token).ok).toBe(true);
    const needsClient = createJwtVerifier({ keys, issuer: 'https://id.example', audience: 'api', clock, requiredClaims: ['client_id'] });
    expect(needsClient.verify(issuer.issueAccessToken({ sub: 'u' }).token)).toEqual({ ok: false, reason: 'missing_claim' });
    expect(needsClient.verify(issuer.issueAccessToken({ sub: 'u', client_id: 'c' }).token).ok).toBe(true);
  });

  it('HS256 works only when listed by name', () => {
    const clock = new ManualClock();
    const keys = JwtKeySet.empty();
    keys.addSymmetric(Buffer.alloc(32, 1), { current: true });
    const { token } = createJwtIssuer({ keys, issuer: 'i', audience: 'a', clock }).issueAccessToken({ sub: 'u' });
    expect(createJwtVerifier({ keys, issuer: 'i', audience: 'a', clock }).verify(token)).toEqual({ ok: false, reason: 'alg_not_allowed' });
    expect(createJwtVerifier({ keys, issuer: 'i', audience: 'a', clock, algorithms: ['HS256'] }).verify(token).ok).toBe(true);
  });

  it('never throws on non-string input', async () => {
    const { verifier } = await setup();
    for (const input of [undefined, null, 42, {}, [], Symbol('x'), Buffer.from('a.b.c')]) {
      expect(verifier.verify(input)).toEqual({ ok: false, reason: 'malformed' });
      await expect(verifier.verifyAsync(input)).resolves.toEqual({ ok: false, reason: 'malformed' });
    }
  });
});

describe('unsafe configuration is a ConfigurationError', () => {
  it.each([
    ['"none" in the allowlist', { algorithms: ['EdDSA', 'none'] }],
    ['"NONE" in the allowlist', { algorithms: ['NONE'] }],
    ['an unknown algorithm', { algorithms: ['ES384'] }],
    ['a lowercase RSA name', { algorithms: ['rs256'] }],
    ['an empty allowlist', { algorithms: [] }],
    ['an empty issuer', { issuer: '' }],
    ['an empty audience list', { audience: [] }],
    ['a negative leeway', { clockToleranceSeconds: -1 }],
    ['a leeway above 5 minutes', { clockToleranceSeconds: 3600 }],
    ['a non-finite maxAge', { maxAgeSeconds: Number.POSITIVE_INFINITY }],
    ['a tiny token cap', { maxTokenLength: 10 }],
  ])('%s', async (_name, override) => {
    const keys = await JwtKeySet.generate();
    const options = { keys, issuer: 'i', audience: 'a', ...override } as Parameters<typeof createJwtVerifier>[0];
    expect(() => createJwtVerifier(options)).toThrow(ConfigurationError);
  });

  it('issuer: bad ttl or empty issuer', async () => {
    const keys = await JwtKeySet.generate();
    expect(() => createJwtIssuer({ keys, issuer: 'i', audience: 'a', ttlSeconds: 0 })).toThrow(ConfigurationError);
    expect(() => createJwtIssuer({ keys, issuer: '', audience: 'a' })).toThrow(ConfigurationError);
  });
});
