/*
 * RSA tokens (RS256 … PS512): each key verifies the one RSA algorithm it is bound to, weak and odd keys are refused,
 * and every confusion between RSA and the other algorithms (and between PKCS#1 v1.5 and PSS) fails. Every token of
 * the table also goes through jose's jwtVerify with the same keys: the verdicts must agree.
 */
import { constants, createHash, createPublicKey, createSecretKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify, SignJWT, type JWTHeaderParameters, type JWTVerifyGetKey } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { KeyRing } from '../../crypto/keyring.js';
import { RSA_ALGORITHMS, signBytes, type JwtAlgorithm, type RsaJwtAlgorithm } from './algorithms.js';
import { createJwtIssuer } from './issuer.js';
import { signCompact } from './jws.js';
import { isSigningKey, type SigningKey } from './keys.js';
import { JwtKeySet } from './keyset.js';
import type { JwtFailure } from './reasons.js';
import { RemoteJwks } from './remote-jwks.js';
import { createJwtVerifier, type JwtVerifier } from './verifier.js';

const ISS = 'https://issuer.example';
const AUD = 'https://api.example';
const clock = new ManualClock(Date.UTC(2026, 0, 1));
const now = (): number => Math.floor(clock.now() / 1000);
const ALL: JwtAlgorithm[] = ['EdDSA', 'ES256', 'HS256', ...RSA_ALGORITHMS];
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

let keys: JwtKeySet;
const rsa = new Map<RsaJwtAlgorithm, SigningKey>();
let edKey: SigningKey;
let esKey: SigningKey;
let hsKey: SigningKey;
let everything: JwtVerifier; // every algorithm Rampart knows, HS256 included
let defaults: JwtVerifier; // EdDSA + ES256

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return { iss: ISS, aud: AUD, sub: 'user-1', iat: t, exp: t + 600, jti: 'jti-1', ...overrides };
}

function rsaKey(alg: RsaJwtAlgorithm): SigningKey {
  const key = rsa.get(alg);
  if (key === undefined) throw new Error(`no ${alg} key`);
  return key;
}

/** A token whose header says whatever it says, signed by `signer` over the exact signing input (or unsigned). */
function forgeAs(header: Record<string, unknown>, payload: Record<string, unknown>, signer: ((input: Buffer) => Buffer) | undefined): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${signer === undefined ? '' : signer(Buffer.from(input)).toString('base64url')}`;
}

/** A token signed properly by `key` with its own algorithm. */
function forge(key: SigningKey, header: Record<string, unknown> = {}, payload: Record<string, unknown> = claims()): string {
  return signCompact(key.alg, key.signingKey, { alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header }, Buffer.from(JSON.stringify(payload)));
}

/** A signature made with an RSA private key under explicit padding and salt, whatever the header claims. */
function rsaSign(privateKey: KeyObject, hash: string, padding: number, saltLength?: number): (input: Buffer) => Buffer {
  return (input) => sign(hash, input, { key: privateKey, padding, ...(saltLength === undefined ? {} : { saltLength }) });
}

function replaceSignature(token: string, mutate: (signature: Buffer) => Buffer): string {
  const [h = '', p = '', s = ''] = token.split('.');
  return `${h}.${p}.${mutate(Buffer.from(s, 'base64url')).toString('base64url')}`;
}

async function joseAccepts(token: string, algorithms: readonly string[]): Promise<boolean> {
  const local = createLocalJWKSet(keys.jwks() as Parameters<typeof createLocalJWKSet>[0]);
  const resolve: JWTVerifyGetKey = (header: JWTHeaderParameters, jws) => {
    if (header.alg !== 'HS256') return local(header, jws);
    const key = typeof header.kid === 'string' ? keys.find(header.kid, 'HS256') : undefined;
    if (key?.alg !== 'HS256') throw new Error('no such HMAC key');
    return key.key;
  };
  try {
    await jwtVerify(token, resolve, {
      issuer: ISS,
      audience: AUD,
      algorithms: [...algorithms],
      clockTolerance: 30,
      maxTokenAge: 86_400,
      typ: 'at+jwt',
      requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'],
      currentDate: new Date(clock.now()),
    });
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  keys = JwtKeySet.empty();
  for (const alg of RSA_ALGORITHMS) {
    await keys.rotate(alg);
    rsa.set(alg, keys.current);
  }
  await keys.rotate('ES256');
  esKey = keys.current;
  await keys.rotate('EdDSA');
  edKey = keys.current;
  const hs = keys.find(keys.addSymmetric(Buffer.alloc(32, 5), { kid: 'hs-1' }), 'HS256');
  if (hs === undefined || !isSigningKey(hs)) throw new Error('no HS256 key');
  hsKey = hs;
  everything = createJwtVerifier({ keys, issuer: ISS, audience: AUD, clock, algorithms: ALL });
  defaults = createJwtVerifier({ keys, issuer: ISS, audience: AUD, clock });
});

interface Case {
  readonly name: string;
  readonly token: () => string | Promise<string>;
  /** `undefined`: accepted. */
  readonly reason?: JwtFailure;
  /** Which verifier: every algorithm (default) or the default allowlist. */
  readonly allowlist?: 'defaults';
}

const publicPem = (alg: RsaJwtAlgorithm, type: 'spki' | 'pkcs1'): Buffer => Buffer.from(createPublicKey(rsaKey(alg).signingKey).export({ type, format: 'pem' }));

const cases: Case[] = [
  // --- valid: every RSA algorithm, from Rampart's signer and from jose's ---
  ...RSA_ALGORITHMS.map((alg): Case => ({ name: `${alg} token signed by its own key`, token: () => forge(rsaKey(alg)) })),
  ...(['RS256', 'PS256'] as const).map((alg): Case => ({
    name: `${alg} token signed by jose (an independent signer)`,
    token: () => new SignJWT(claims()).setProtectedHeader({ alg, kid: rsaKey(alg).kid, typ: 'at+jwt' }).sign(rsaKey(alg).signingKey),
  })),
  { name: 'RS256 without a kid: the only RS256 key in the set', token: () => forge(rsaKey('RS256'), { kid: undefined }) },

  // --- none ---
  ...['none', 'NONE'].map((alg): Case => ({
    name: `alg "${alg}" naming an RSA kid, with a real RS256 signature attached`,
    token: () => forgeAs({ alg, kid: rsaKey('RS256').kid, typ: 'at+jwt' }, claims(), (i) => signBytes('RS256', rsaKey('RS256').signingKey, i)),
    reason: 'alg_not_allowed',
  })),

  // --- HS256 keyed with the RSA public key, in every form an attacker can download ---
  ...(
    [
      ['SPKI PEM', () => publicPem('RS256', 'spki')],
      ['PKCS#1 PEM', () => publicPem('RS256', 'pkcs1')],
      ['SPKI DER', () => createPublicKey(rsaKey('RS256').signingKey).export({ type: 'spki', format: 'der' })],
      ['published JWK (JSON)', () => Buffer.from(JSON.stringify(keys.jwks().keys.find((k) => k.kid === rsaKey('RS256').kid)))],
      ['modulus bytes', () => Buffer.from(createPublicKey(rsaKey('RS256').signingKey).export({ format: 'jwk' }).n ?? '', 'base64url')],
    ] as const
  ).map(([form, secret]): Case => ({
    name: `HS256 "signed" with the RS256 key's ${form} as the secret, HS256 allowed`,
    token: () => forgeAs({ alg: 'HS256', kid: rsaKey('RS256').kid, typ: 'at+jwt' }, claims(), (i) => signBytes('HS256', createSecretKey(secret()), i)),
    reason: 'alg_not_allowed',
  })),

  // --- RSA and elliptic keys never stand in for each other ---
  {
    name: "RS256 token under the ES256 key's kid (signed with an RSA key)",
    token: () => forgeAs({ alg: 'RS256', kid: esKey.kid, typ: 'at+jwt' }, claims(), (i) => signBytes('RS256', rsaKey('RS256').signingKey, i)),
    reason: 'alg_not_allowed',
  },
  {
    name: "RS256 token under the Ed25519 key's kid",
    token: () => forgeAs({ alg: 'RS256', kid: edKey.kid, typ: 'at+jwt' }, claims(), (i) => signBytes('RS256', rsaKey('RS256').signingKey, i)),
    reason: 'alg_not_allowed',
  },
  {
    name: "ES256 token under the RS256 key's kid",
    token: () => forgeAs({ alg: 'ES256', kid: rsaKey('RS256').kid, typ: 'at+jwt' }, claims(), (i) => signBytes('ES256', esKey.signingKey, i)),
    reason: 'alg_not_allowed',
  },
  {
    name: "HS256 token under the RS256 key's kid, MAC keyed with the real HMAC secret",
    token: () => forgeAs({ alg: 'HS256', kid: rsaKey('RS256').kid, typ: 'at+jwt' }, claims(), (i) => signBytes('HS256', hsKey.signingKey, i)),
    reason: 'alg_not_allowed',
  },

  // --- PKCS#1 v1.5 ↔ PSS, and hash swaps, on the same RSA key ---
  {
    name: 'RS256 header naming the PS256 key, a valid PKCS#1 v1.5 signature by that key',
    token: () => forgeAs({ alg: 'RS256', kid: rsaKey('PS256').kid, typ: 'at+jwt' }, claims(), (i) => signBytes('RS256', rsaKey('PS256').signingKey, i)),
    reason: 'alg_not_allowed',
  },
  {
    name: 'PS256 header naming the RS256 key, a valid PSS signature by that key',
    token: () => forgeAs({ alg: 'PS256', kid: rsaKey('RS256').kid, typ: 'at+jwt' }, claims(), (i) => signBytes('PS256', rsaKey('RS256').signingKey, i)),
    reason: 'alg_not_allowed',
  },
  {
    name: 'RS512 header naming the RS256 key (hash swap)',
    token: () => forgeAs({ alg: 'RS512', kid: rsaKey('RS256').kid, typ: 'at+jwt' }, claims(), (i) => signBytes('RS512', rsaKey('RS256').signingKey, i)),
    reason: 'alg_not_allowed',
  },
  {
    name: 'RS256 header and key, but the signature is PSS (the header lies about the padding)',
    token: () => forgeAs({ alg: 'RS256', kid: rsaKey('RS256').kid, typ: 'at+jwt' }, claims(), rsaSign(rsaKey('RS256').signingKey, 'sha256', constants.RSA_PKCS1_PSS_PADDING, 32)),
    reason: 'signature_invalid',
  },
  {
    name: 'RS256 header and key, signature over SHA-512',
    token: () => forgeAs({ alg: 'RS256', kid: rsaKey('RS256').kid, typ: 'at+jwt' }, claims(), rsaSign(rsaKey('RS256').signingKey, 'sha512', constants.RSA_PKCS1_PADDING)),
    reason: 'signature_invalid',
  },
  ...([0, 20, constants.RSA_PSS_SALTLEN_MAX_SIGN] as const).map((saltLength): Case => ({
    name: `PS256 with a salt of ${saltLength === constants.RSA_PSS_SALTLEN_MAX_SIGN ? 'maximal' : saltLength} bytes (RFC 7518 §3.5 fixes it at 32)`,
    token: () => forgeAs({ alg: 'PS256', kid: rsaKey('PS256').kid, typ: 'at+jwt' }, claims(), rsaSign(rsaKey('PS256').signingKey, 'sha256', constants.RSA_PKCS1_PSS_PADDING, saltLength)),
    reason: 'signature_invalid',
  })),

  // --- signature bytes ---
  { name: 'RS256 signature one byte short', token: () => replaceSignature(forge(rsaKey('RS256')), (s) => s.subarray(1)), reason: 'signature_invalid' },
  { name: 'RS256 signature with a leading zero byte (257 bytes)', token: () => replaceSignature(forge(rsaKey('RS256')), (s) => Buffer.concat([Buffer.alloc(1), s])), reason: 'signature_invalid' },
  { name: 'RS256 signature of zeros', token: () => replaceSignature(forge(rsaKey('RS256')), (s) => Buffer.alloc(s.length)), reason: 'signature_invalid' },
  {
    name: 'RS256 signature plus the modulus (same value mod n, another string)',
    token: () =>
      replaceSignature(forge(rsaKey('RS256')), (s) => {
        const n = BigInt(`0x${Buffer.from(createPublicKey(rsaKey('RS256').signingKey).export({ format: 'jwk' }).n ?? '', 'base64url').toString('hex')}`);
        const sum = (BigInt(`0x${s.toString('hex')}`) + n).toString(16);
        return Buffer.from(sum.padStart(sum.length + (sum.length % 2), '0'), 'hex');
      }),
    reason: 'signature_invalid',
  },
  {
    name: "an attacker's RSA key under the trusted RS256 kid",
    token: () => forgeAs({ alg: 'RS256', kid: rsaKey('RS256').kid, typ: 'at+jwt' }, claims(), (i) => signBytes('RS256', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, i)),
    reason: 'signature_invalid',
  },
  {
    name: 'RS256 payload tampered (sub changed), signature kept',
    token: () => {
      const [h = '', , s = ''] = forge(rsaKey('RS256')).split('.');
      return `${h}.${Buffer.from(JSON.stringify(claims({ sub: 'admin' }))).toString('base64url')}.${s}`;
    },
    reason: 'signature_invalid',
  },

  // --- the allowlist still decides ---
  { name: 'RS256 token, verifier on the default allowlist (EdDSA, ES256)', token: () => forge(rsaKey('RS256')), reason: 'alg_not_allowed', allowlist: 'defaults' },
  { name: 'PS512 token, verifier on the default allowlist', token: () => forge(rsaKey('PS512')), reason: 'alg_not_allowed', allowlist: 'defaults' },
];

describe('RSA tokens: accepted when right, refused otherwise, and jose agrees', () => {
  it.each(cases)('$name', async (c) => {
    const token = await c.token();
    const verifier = c.allowlist === 'defaults' ? defaults : everything;
    const result = verifier.verify(token);
    if (c.reason === undefined) expect(result.ok, JSON.stringify(result)).toBe(true);
    else expect(result).toEqual({ ok: false, reason: c.reason });
    expect(verifier.verify(token)).toEqual(result); // the cache changes no verdict
    expect(await joseAccepts(token, c.allowlist === 'defaults' ? ['EdDSA', 'ES256'] : ALL)).toBe(c.reason === undefined);
  });
});

/** base64url of a non-negative integer, big-endian, minimal length. */
function b64uint(value: bigint): string {
  const hex = value.toString(16);
  return Buffer.from(hex.padStart(hex.length + (hex.length % 2), '0'), 'hex').toString('base64url');
}

function rsaPublicJwk(modulusLength: number): { kty: 'RSA'; n: string; e: string } {
  const { n, e } = generateKeyPairSync('rsa', { modulusLength }).publicKey.export({ format: 'jwk' });
  return { kty: 'RSA', n: n ?? '', e: e ?? '' };
}

describe('RSA keys in a JwtKeySet', () => {
  it('generates 2048-bit keys with e = 65537, kid = RFC 7638 thumbprint, and publishes only public members', async () => {
    const set = await JwtKeySet.generate({ algorithm: 'PS256' });
    expect(set.current.alg).toBe('PS256');
    expect(set.current.key.asymmetricKeyDetails).toEqual({ modulusLength: 2048, publicExponent: 65537n });
    const [published] = set.jwks().keys;
    expect(published).toEqual({ kty: 'RSA', n: expect.any(String) as string, e: 'AQAB', kid: set.current.kid, alg: 'PS256', use: 'sig' });
    if (published?.kty !== 'RSA') throw new Error('not an RSA JWK');
    expect(set.current.kid).toBe(await calculateJwkThumbprint({ kty: 'RSA', n: published.n, e: published.e }));
    for (const member of PRIVATE_MEMBERS) expect(JSON.stringify(set.jwks())).not.toContain(`"${member}":`);
    // Rotation keeps the algorithm.
    await set.rotate();
    expect(set.current.alg).toBe('PS256');
  });

  it('an issuer signing with RS256 makes tokens a verifier that lists RS256 accepts', async () => {
    const set = await JwtKeySet.generate({ algorithm: 'RS256' });
    const { token } = createJwtIssuer({ keys: set, issuer: ISS, audience: AUD, clock }).issueAccessToken({ sub: 'u' });
    expect(createJwtVerifier({ keys: set, issuer: ISS, audience: AUD, clock, algorithms: ['RS256'] }).verify(token).ok).toBe(true);
    expect(createJwtVerifier({ keys: set, issuer: ISS, audience: AUD, clock }).verify(token)).toEqual({ ok: false, reason: 'alg_not_allowed' });
  });

  it('attack: an RSA key below 2048 bits is a ConfigurationError (1024 and 512 bits)', async () => {
    for (const bits of [1024, 512]) {
      await expect(JwtKeySet.empty().import({ ...rsaPublicJwk(bits), alg: 'RS256' })).rejects.toThrow(ConfigurationError);
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
      await expect(JwtKeySet.empty().import({ ...privateKey.export({ format: 'jwk' }), alg: 'RS256' }, { current: true })).rejects.toThrow(/below 2048 bits/);
    }
    await expect(JwtKeySet.empty().import({ ...rsaPublicJwk(3072), alg: 'RS256' })).resolves.toEqual(expect.any(String));
  });

  it('attack: public exponents 1, 3, even, or above 2^32 and a 16384-bit modulus are refused', async () => {
    const { n } = rsaPublicJwk(2048);
    for (const e of [1n, 3n, 65536n, 65538n, 2n ** 32n + 1n, 2n ** 64n + 1n]) {
      await expect(JwtKeySet.empty().import({ kty: 'RSA', n, e: b64uint(e), alg: 'RS256' })).rejects.toThrow(ConfigurationError);
    }
    const huge = Buffer.alloc(2048, 0xab);
    huge[0] = 0xc1;
    await expect(JwtKeySet.empty().import({ kty: 'RSA', n: huge.toString('base64url'), e: 'AQAB', alg: 'RS256' })).rejects.toThrow(/above 8192 bits/);
  });

  it('attack: with e = 1 a signature is the padded hash itself; node:crypto would accept the forgery, Rampart never takes the key', async () => {
    const { n } = rsaPublicJwk(2048);
    const weak = createPublicKey({ key: { kty: 'RSA', n, e: 'AQ' }, format: 'jwk' });
    const input = Buffer.from('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9');
    // EMSA-PKCS1-v1_5 (RFC 8017 §9.2) for SHA-256, computed without any private key.
    const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), createHash('sha256').update(input).digest()]);
    const forged = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(256 - 3 - digestInfo.length, 0xff), Buffer.from([0]), digestInfo]);
    expect(verify('sha256', input, { key: weak, padding: constants.RSA_PKCS1_PADDING }, forged)).toBe(true);
    await expect(JwtKeySet.empty().import({ kty: 'RSA', n, e: 'AQ', alg: 'RS256', kid: 'e1' })).rejects.toThrow(/exponent/);
  });

  it('binds each RSA key to one algorithm: its alg, else the configured one; contradictions are refused', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pub = pair.publicKey.export({ format: 'jwk' });
    const set = JwtKeySet.empty();
    // No alg and nothing configured: which of six algorithms would it verify? Refused.
    await expect(set.import({ ...pub, kid: 'bare' })).rejects.toThrow(/needs an algorithm/);
    await set.import({ ...pub, kid: 'configured' }, { algorithm: 'PS384' });
    expect(set.find('configured', 'PS384')?.alg).toBe('PS384');
    await expect(set.import({ ...pub, kid: 'both', alg: 'PS256' }, { algorithm: 'RS256' })).rejects.toThrow(ConfigurationError);
    await expect(set.import({ ...pub, kid: 'oaep', alg: 'RSA-OAEP' })).rejects.toThrow(ConfigurationError);
    await expect(set.import({ ...pub, kid: 'ec-config' }, { algorithm: 'ES256' })).rejects.toThrow(ConfigurationError);
    const ed = (await JwtKeySet.generate()).jwks().keys[0]!;
    await expect(set.import({ ...ed, kid: 'ed-as-rsa' }, { algorithm: 'RS256' })).rejects.toThrow(ConfigurationError);
    // The configured binding holds in verification: a PS256 or RS256 token under the PS384 key is refused.
    const verifier = createJwtVerifier({ keys: set, issuer: ISS, audience: AUD, clock, algorithms: [...RSA_ALGORITHMS] });
    const signed = (alg: RsaJwtAlgorithm): string =>
      signCompact(alg, pair.privateKey, { alg, kid: 'configured', typ: 'at+jwt' }, Buffer.from(JSON.stringify(claims())));
    expect(verifier.verify(signed('PS384')).ok).toBe(true);
    expect(verifier.verify(signed('PS256'))).toEqual({ ok: false, reason: 'alg_not_allowed' });
    expect(verifier.verify(signed('RS384'))).toEqual({ ok: false, reason: 'alg_not_allowed' });
  });

  it('honours use and key_ops: an encryption key is never imported as a signature key', async () => {
    const pub = rsaPublicJwk(2048);
    const set = JwtKeySet.empty();
    await expect(set.import({ ...pub, alg: 'RS256', use: 'enc' })).rejects.toThrow(/not a signature key/);
    await expect(set.import({ ...pub, alg: 'RS256', key_ops: ['encrypt', 'wrapKey'] })).rejects.toThrow(/not a signature key/);
    await expect(set.import({ ...pub, alg: 'RS256', key_ops: 'verify' })).rejects.toThrow(/not a signature key/);
    await expect(set.import({ ...pub, alg: 'RS256', key_ops: ['verify'], use: 'sig' })).resolves.toEqual(expect.any(String));
  });

  it('a private RSA JWK imported as current signs tokens that its public half verifies', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signer = JwtKeySet.empty();
    const kid = await signer.import({ ...privateKey.export({ format: 'jwk' }), alg: 'RS256' }, { current: true });
    const { token } = createJwtIssuer({ keys: signer, issuer: ISS, audience: AUD, clock }).issueAccessToken({ sub: 'u' });
    const verifierKeys = JwtKeySet.empty();
    await verifierKeys.import(signer.jwks().keys[0]!);
    const result = createJwtVerifier({ keys: verifierKeys, issuer: ISS, audience: AUD, clock, algorithms: ['RS256'] }).verify(token);
    expect(result.ok && result.value.kid).toBe(kid);
  });

  it('sealed storage: RSA keys round-trip; a swapped modulus or a relabelled algorithm is refused', async () => {
    const ring = KeyRing.generate({ name: 'jwt' });
    const set = await JwtKeySet.generate({ algorithm: 'RS256' });
    await set.rotate('PS256');
    const doc = set.exportEncrypted(ring);
    expect(JSON.stringify(doc)).not.toMatch(/"(d|p|q|dp|dq|qi)":/);
    const restored = JwtKeySet.importEncrypted(ring, JSON.parse(JSON.stringify(doc)) as typeof doc);
    expect(restored.jwks()).toEqual(set.jwks());
    const { token } = createJwtIssuer({ keys: restored, issuer: ISS, audience: AUD, clock }).issueAccessToken({ sub: 'u' });
    expect(createJwtVerifier({ keys: set, issuer: ISS, audience: AUD, clock, algorithms: ['PS256'] }).verify(token).ok).toBe(true);

    const foreign = (await JwtKeySet.generate({ algorithm: 'RS256' })).jwks().keys[0]!;
    const swapped = { ...doc, keys: doc.keys.map((k) => (k.alg === 'RS256' ? { ...k, public: { ...foreign, kid: k.kid } } : k)) };
    expect(() => JwtKeySet.importEncrypted(ring, swapped)).toThrow(/public part does not match/);
    // The sealed private key is bound to its algorithm: an RS256 key relabelled PS256 does not open.
    const relabelled = { ...doc, keys: doc.keys.map((k) => (k.alg === 'RS256' ? { ...k, alg: 'PS256' as const, public: undefined } : k)) };
    expect(() => JwtKeySet.importEncrypted(ring, relabelled)).toThrow(ConfigurationError);
  });
});

describe('RSA keys from a remote JWKS', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => {
      resolve();
    }))));
  });

  async function serve(document: () => unknown): Promise<{ url: string; requests: () => number }> {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document()));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`, requests: () => requests };
  }

  function pair(bits: number, kid: string, extra: Record<string, unknown> = {}) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
    const { n, e } = publicKey.export({ format: 'jwk' });
    return { kid, privateKey, jwk: { kty: 'RSA', n, e, kid, ...extra } };
  }

  function token(privateKey: KeyObject, alg: RsaJwtAlgorithm, kid: string): string {
    return signCompact(alg, privateKey, { alg, kid, typ: 'at+jwt' }, Buffer.from(JSON.stringify(claims())));
  }

  it('attack: a JWKS mixing weak, encryption and private RSA keys with good ones keeps only the good ones, and says why', async () => {
    const weak1024 = pair(1024, 'weak-1024', { alg: 'RS256', use: 'sig' });
    const weak512 = pair(512, 'weak-512', { alg: 'RS256' });
    const encOps = pair(2048, 'enc-ops', { alg: 'RS256', key_ops: ['encrypt'] });
    const encUse = pair(2048, 'enc-use', { use: 'enc' });
    const oaep = pair(2048, 'oaep', { alg: 'RSA-OAEP' });
    const good = pair(2048, 'good-rs256', { alg: 'RS256', use: 'sig', key_ops: ['verify'] });
    const bare = pair(2048, 'good-bare');
    const pss = pair(2048, 'good-ps256', { alg: 'PS256' });
    const exponent3 = { ...pair(2048, 'e3').jwk, e: b64uint(3n), alg: 'RS256' };
    const withPrivate = { ...pair(2048, 'x').privateKey.export({ format: 'jwk' }), kid: 'private', alg: 'RS256' };
    const jwks = await serve(() => ({
      keys: [weak1024.jwk, weak512.jwk, encOps.jwk, encUse.jwk, oaep.jwk, exponent3, withPrivate, good.jwk, bare.jwk, pss.jwk],
    }));
    const events: SecurityEvent[] = [];
    const remote = new RemoteJwks({ url: jwks.url, allowInsecureHttp: true, clock, events: (e) => events.push(e) });
    const verifier = createJwtVerifier({ keys: remote, issuer: ISS, audience: AUD, clock, algorithms: [...RSA_ALGORITHMS] });

    expect((await verifier.verifyAsync(token(good.privateKey, 'RS256', good.kid))).ok).toBe(true);
    expect(remote.status().kids).toEqual(['good-rs256', 'good-bare', 'good-ps256']);
    expect(remote.status().ignored).toEqual([
      { kid: 'weak-1024', reason: 'rsa_modulus_too_small' },
      { kid: 'weak-512', reason: 'rsa_modulus_too_small' },
      { kid: 'enc-ops', reason: 'not_for_signature' },
      { kid: 'enc-use', reason: 'not_for_signature' },
      { kid: 'oaep', reason: 'alg_mismatch' },
      { kid: 'e3', reason: 'rsa_exponent_invalid' },
      { kid: 'private', reason: 'private_key' },
    ]);
    // Tokens signed by the ignored keys are refused as if the key did not exist: the 1024-bit one, the encryption one.
    expect(await verifier.verifyAsync(token(weak1024.privateKey, 'RS256', weak1024.kid))).toEqual({ ok: false, reason: 'unknown_kid' });
    expect(await verifier.verifyAsync(token(weak512.privateKey, 'RS256', weak512.kid))).toEqual({ ok: false, reason: 'unknown_kid' });
    expect(await verifier.verifyAsync(token(encOps.privateKey, 'RS256', encOps.kid))).toEqual({ ok: false, reason: 'unknown_kid' });
    expect((await verifier.verifyAsync(token(bare.privateKey, 'RS256', bare.kid))).ok).toBe(true);
    expect((await verifier.verifyAsync(token(pss.privateKey, 'PS256', pss.kid))).ok).toBe(true);

    // One event per ignored key, with the kid and the reason and no key material.
    expect(events.map((e) => [e.type, e.attributes?.kid, e.attributes?.reason])).toEqual(
      remote.status().ignored.map((i) => ['token.jwks.key_ignored', i.kid, i.reason]),
    );
    expect(events.every((e) => e.attributes?.jwksUri === jwks.url)).toBe(true);
    expect(JSON.stringify(events)).not.toContain(good.jwk.n ?? 'missing');
    expect(JSON.stringify(events)).not.toContain(weak1024.jwk.n ?? 'missing');
    // The next fetch ignores the same keys again, without a second round of events.
    const start = clock.now();
    clock.advance(601_000);
    expect((await verifier.verifyAsync(token(good.privateKey, 'RS256', good.kid))).ok).toBe(true);
    expect(jwks.requests()).toBe(2);
    expect(events).toHaveLength(7);
    clock.set(start);
  });

  it('attack: a document of 40 junk keys gives 16 events, not 40, and status lists all of them', async () => {
    const good = pair(2048, 'good');
    const junk = Array.from({ length: 40 }, (_, i) => ({ kty: 'oct', kid: `junk-${i}`, k: Buffer.alloc(32, i).toString('base64url') }));
    const jwks = await serve(() => ({ keys: [...junk, good.jwk] }));
    const events: SecurityEvent[] = [];
    const remote = new RemoteJwks({ url: jwks.url, allowInsecureHttp: true, clock, events: (e) => events.push(e) });
    await remote.refresh();
    expect(remote.status().kids).toEqual(['good']);
    expect(remote.status().ignored).toHaveLength(40);
    expect(remote.status().ignored.every((i) => i.reason === 'symmetric_key')).toBe(true);
    expect(events).toHaveLength(16);
    expect(JSON.stringify(events)).not.toContain(Buffer.alloc(32, 1).toString('base64url'));
  });

  it('an RSA key without alg is bound to RS256 by default, or to rsaAlgorithm; never to both', async () => {
    const bare = pair(2048, 'bare');
    const jwks = await serve(() => ({ keys: [bare.jwk] }));
    const verifierOf = (remote: RemoteJwks): JwtVerifier => createJwtVerifier({ keys: remote, issuer: ISS, audience: AUD, clock, algorithms: [...RSA_ALGORITHMS] });
    const byDefault = verifierOf(new RemoteJwks({ url: jwks.url, allowInsecureHttp: true, clock }));
    expect((await byDefault.verifyAsync(token(bare.privateKey, 'RS256', 'bare'))).ok).toBe(true);
    expect(await byDefault.verifyAsync(token(bare.privateKey, 'PS256', 'bare'))).toEqual({ ok: false, reason: 'alg_not_allowed' });
    const configured = verifierOf(new RemoteJwks({ url: jwks.url, allowInsecureHttp: true, clock, rsaAlgorithm: 'PS256' }));
    expect((await configured.verifyAsync(token(bare.privateKey, 'PS256', 'bare'))).ok).toBe(true);
    expect(await configured.verifyAsync(token(bare.privateKey, 'RS256', 'bare'))).toEqual({ ok: false, reason: 'alg_not_allowed' });
    expect(() => new RemoteJwks({ url: jwks.url, allowInsecureHttp: true, rsaAlgorithm: 'HS256' as never })).toThrow(ConfigurationError);
  });
});
