/*
 * Every attack the verifier must stop, table-driven, and every token (attacks and valid vectors alike) also goes
 * through jose's jwtVerify with equivalent options: the verdicts must agree, except for the few cases listed as
 * `stricterThanJose`, where Rampart refuses a token that jose accepts, on purpose (see README, "Differences from jose").
 */
import { createPublicKey, createSecretKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JWTHeaderParameters, type JWTVerifyGetKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { signBytes, type JwtAlgorithm } from './algorithms.js';
import { createJwtIssuer } from './issuer.js';
import { signCompact } from './jws.js';
import { isSigningKey, type SigningKey } from './keys.js';
import { JwtKeySet } from './keyset.js';
import type { JwtFailure } from './reasons.js';
import { createJwtVerifier, type JwtVerifier } from './verifier.js';

const ISS = 'https://issuer.example';
const AUD = 'https://api.example';
const clock = new ManualClock(Date.UTC(2026, 0, 1));
const now = (): number => Math.floor(clock.now() / 1000);

let keys: JwtKeySet;
let edKey: SigningKey; // current
let oldEdKey: SigningKey; // previous, still verifying
let esKey: SigningKey;
let hsKey: SigningKey;
let retiredKey: SigningKey;
let strict: JwtVerifier; // defaults: EdDSA + ES256
let withHs: JwtVerifier; // HS256 listed by name

function signer(kid: string): SigningKey {
  const key = keys.find(kid, 'EdDSA');
  if (key === undefined || !isSigningKey(key)) throw new Error(`no signing key ${kid}`);
  return key;
}

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return { iss: ISS, aud: AUD, sub: 'user-1', iat: t, exp: t + 600, jti: 'jti-1', ...overrides };
}

function forge(
  key: { alg: JwtAlgorithm; kid?: string; signingKey: KeyObject },
  options: { header?: Record<string, unknown>; claims?: Record<string, unknown>; rawPayload?: string } = {},
): string {
  const header = { alg: key.alg, ...(key.kid === undefined ? {} : { kid: key.kid }), typ: 'at+jwt', ...options.header };
  const payload = options.rawPayload ?? JSON.stringify(options.claims ?? claims());
  return signCompact(key.alg, key.signingKey, header, Buffer.from(payload, 'utf8'));
}

/** A token whose header says `alg` but is signed as `as`, for algorithm-confusion and `none` tokens. */
function forgeAs(header: Record<string, unknown>, payload: Record<string, unknown>, sign: ((input: Buffer) => Buffer) | undefined): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${sign === undefined ? '' : sign(Buffer.from(input)).toString('base64url')}`;
}

async function joseAccepts(token: string, algorithms: string[]): Promise<boolean> {
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
      algorithms,
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

interface Case {
  readonly name: string;
  readonly token: () => string;
  /** `undefined`: the token must be accepted. */
  readonly reason?: JwtFailure;
  readonly hs?: boolean;
  /** Rampart refuses, jose accepts: a deliberate, documented difference. */
  readonly stricterThanJose?: true;
}

beforeAll(async () => {
  keys = await JwtKeySet.generate();
  const retiredKid = keys.current.kid;
  retiredKey = keys.current;
  const oldKid = await keys.rotate('EdDSA');
  oldEdKey = signer(oldKid);
  const esKid = await keys.rotate('ES256');
  esKey = keys.current;
  expect(esKey.kid).toBe(esKid);
  await keys.rotate('EdDSA');
  edKey = keys.current;
  const hsKid = keys.addSymmetric(randomBytes(32), { kid: 'hs-1' });
  const hs = keys.find(hsKid, 'HS256');
  if (hs === undefined || !isSigningKey(hs)) throw new Error('no hs key');
  hsKey = hs;
  keys.retire(retiredKid);
  strict = createJwtVerifier({ keys, issuer: ISS, audience: AUD, clock });
  withHs = createJwtVerifier({ keys, issuer: ISS, audience: AUD, clock, algorithms: ['EdDSA', 'ES256', 'HS256'] });
});

const attackerPair = generateKeyPairSync('ed25519');
const attackerJwk = attackerPair.publicKey.export({ format: 'jwk' });
const attacker = { alg: 'EdDSA' as const, kid: 'attacker', signingKey: attackerPair.privateKey };

function tamper(token: string, mutate: (payload: Record<string, unknown>) => void): string {
  const [h = '', p = '', s = ''] = token.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  mutate(payload);
  return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
}

const cases: Case[] = [
  // --- valid vectors: both accept ---
  { name: 'EdDSA token from the issuer', token: () => createJwtIssuer({ keys, issuer: ISS, audience: AUD, clock }).issueAccessToken({ sub: 'u' }).token },
  { name: 'ES256 token', token: () => forge(esKey) },
  { name: 'HS256 token when HS256 is listed by name', token: () => forge(hsKey), hs: true },
  { name: 'token of the previous key (rotation overlap)', token: () => forge(oldEdKey) },
  { name: 'expired 20 s ago, inside the 30 s leeway', token: () => forge(edKey, { claims: claims({ exp: now() - 20 }) }) },
  { name: 'nbf 20 s ahead, inside the leeway', token: () => forge(edKey, { claims: claims({ nbf: now() + 20 }) }) },
  { name: 'typ "application/AT+JWT" (case-insensitive, prefix optional)', token: () => forge(edKey, { header: { typ: 'application/AT+JWT' } }) },
  { name: 'aud as an array containing ours', token: () => forge(edKey, { claims: claims({ aud: ['other', AUD] }) }) },
  {
    name: 'duplicate JSON keys: the last one wins, in both libraries (documented)',
    token: () => forge(edKey, { rawPayload: JSON.stringify(claims()).replace('{', `{"aud":"https://evil.example",`) }),
  },

  {
    name: 'duplicate JSON keys: a later "aud" overrides ours, in both libraries (documented)',
    token: () => forge(edKey, { rawPayload: JSON.stringify(claims()).replace(/}$/, ',"aud":"https://evil.example"}') }),
    reason: 'audience_mismatch',
  },
  {
    name: 'duplicate header keys: {"alg":"none","alg":"EdDSA"} is read as EdDSA by both (last wins)',
    token: () => {
      const header = Buffer.from(`{"alg":"none","kid":"${edKey.kid}","typ":"at+jwt","alg":"EdDSA"}`).toString('base64url');
      const payload = Buffer.from(JSON.stringify(claims())).toString('base64url');
      return `${header}.${payload}.${signBytes('EdDSA', edKey.signingKey, Buffer.from(`${header}.${payload}`)).toString('base64url')}`;
    },
  },

  // --- alg: none, every capitalisation, with and without a signature ---
  ...['none', 'None', 'NONE', 'nOnE'].flatMap((alg): Case[] => [
    { name: `alg "${alg}" without signature`, token: () => forgeAs({ alg, typ: 'at+jwt' }, claims(), undefined), reason: 'alg_not_allowed' },
    {
      name: `alg "${alg}" with a real Ed25519 signature attached`,
      token: () => forgeAs({ alg, kid: edKey.kid, typ: 'at+jwt' }, claims(), (input) => signBytes('EdDSA', edKey.signingKey, input)),
      reason: 'alg_not_allowed',
    },
    { name: `alg "${alg}" even when HS256 is allowed`, token: () => forgeAs({ alg, typ: 'at+jwt' }, claims(), undefined), reason: 'alg_not_allowed', hs: true },
  ]),

  // --- algorithm confusion: HMAC keyed with the public key ---
  ...(['raw', 'pem', 'jwk'] as const).flatMap((form): Case[] => {
    const secret = (): Buffer => {
      const pub = createPublicKey(edKey.signingKey);
      if (form === 'pem') return Buffer.from(pub.export({ type: 'spki', format: 'pem' }));
      if (form === 'jwk') return Buffer.from(JSON.stringify(keys.jwks().keys.find((k) => k.kid === edKey.kid)));
      return Buffer.from(pub.export({ format: 'jwk' }).x ?? '', 'base64url');
    };
    const token = (): string => forgeAs({ alg: 'HS256', kid: edKey.kid, typ: 'at+jwt' }, claims(), (input) => signBytes('HS256', createSecretKey(secret()), input));
    return [
      { name: `HS256 signed with the public key (${form}) as secret, default allowlist`, token, reason: 'alg_not_allowed' },
      { name: `HS256 signed with the public key (${form}) as secret, HS256 allowed`, token, reason: 'alg_not_allowed', hs: true },
    ];
  }),
  { name: 'ES256 header naming an Ed25519 kid', token: () => forgeAs({ alg: 'ES256', kid: edKey.kid, typ: 'at+jwt' }, claims(), (i) => signBytes('ES256', esKey.signingKey, i)), reason: 'alg_not_allowed' },
  { name: 'RS256 (not on the allowlist)', token: () => forgeAs({ alg: 'RS256', kid: edKey.kid, typ: 'at+jwt' }, claims(), () => randomBytes(256)), reason: 'alg_not_allowed' },

  // --- signature stripped, blank, tampered payload ---
  { name: 'blank signature', token: () => `${forge(edKey).split('.').slice(0, 2).join('.')}.`, reason: 'signature_invalid' },
  { name: 'stripped signature (two segments)', token: () => forge(edKey).split('.').slice(0, 2).join('.'), reason: 'malformed' },
  { name: 'payload tampered (sub changed), signature kept', token: () => tamper(forge(edKey), (p) => (p.sub = 'admin')), reason: 'signature_invalid' },
  { name: 'payload tampered (exp extended)', token: () => tamper(forge(esKey), (p) => (p.exp = now() + 10 ** 6)), reason: 'signature_invalid' },
  { name: 'signature of another token', token: () => `${forge(edKey).split('.').slice(0, 2).join('.')}.${forge(edKey, { claims: claims({ sub: 'x' }) }).split('.')[2]!}`, reason: 'signature_invalid' },

  // --- time ---
  { name: 'expired beyond the leeway', token: () => forge(edKey, { claims: claims({ exp: now() - 31 }) }), reason: 'expired' },
  { name: 'nbf in the future beyond the leeway', token: () => forge(edKey, { claims: claims({ nbf: now() + 31 }) }), reason: 'not_yet_valid' },
  { name: 'iat in the future beyond the leeway', token: () => forge(edKey, { claims: claims({ iat: now() + 31, exp: now() + 900 }) }), reason: 'not_yet_valid' },
  { name: 'iat older than maxAge', token: () => forge(edKey, { claims: claims({ iat: now() - 86_400 - 31 }) }), reason: 'too_old' },
  { name: 'exp as a string', token: () => forge(edKey, { claims: claims({ exp: String(now() + 600) }) }), reason: 'invalid_claim' },
  {
    name: 'exp 1e400 (JSON.parse gives Infinity: a token that never expires)',
    token: () => forge(edKey, { rawPayload: JSON.stringify(claims({ exp: 0 })).replace('"exp":0', '"exp":1e400') }),
    reason: 'invalid_claim',
    stricterThanJose: true,
  },

  // --- audience, issuer, required claims ---
  { name: 'wrong aud', token: () => forge(edKey, { claims: claims({ aud: 'https://other.example' }) }), reason: 'audience_mismatch' },
  { name: 'aud prefix-extended', token: () => forge(edKey, { claims: claims({ aud: `${AUD}.evil.example` }) }), reason: 'audience_mismatch' },
  { name: 'wrong iss', token: () => forge(edKey, { claims: claims({ iss: 'https://evil.example' }) }), reason: 'issuer_mismatch' },
  { name: 'iss in another case', token: () => forge(edKey, { claims: claims({ iss: ISS.toUpperCase() }) }), reason: 'issuer_mismatch' },
  ...(['iss', 'aud', 'exp', 'iat', 'jti'] as const).map((name): Case => ({
    name: `missing ${name}`,
    token: () => forge(edKey, { claims: Object.fromEntries(Object.entries(claims()).filter(([k]) => k !== name)) }),
    reason: 'missing_claim',
  })),
  {
    name: 'aud array with a non-string member',
    token: () => forge(edKey, { claims: claims({ aud: [AUD, 42] }) }),
    reason: 'invalid_claim',
    stricterThanJose: true,
  },

  // --- kid injection ---
  ...['../../etc/passwd', "' OR 1=1 --", '__proto__', 'constructor', '/dev/zero', 'http://169.254.169.254/'].map((kid): Case => ({
    name: `kid ${JSON.stringify(kid)}`,
    token: () => forge({ ...edKey, kid }),
    reason: 'unknown_kid',
  })),
  { name: 'kid as an object', token: () => forge(edKey, { header: { kid: { $ne: null } } }), reason: 'malformed' },
  { name: 'no kid while several EdDSA keys could match', token: () => forge({ alg: 'EdDSA', signingKey: edKey.signingKey }), reason: 'unknown_kid' },

  // --- headers that bring their own key: refused even when the embedded key would verify ---
  { name: 'embedded jwk (attacker key that verifies the signature)', token: () => forge(attacker, { header: { jwk: attackerJwk } }), reason: 'forbidden_header' },
  { name: 'embedded jwk without kid', token: () => forge({ alg: 'EdDSA', signingKey: attacker.signingKey }, { header: { jwk: attackerJwk } }), reason: 'forbidden_header' },
  { name: 'jku pointing to the attacker', token: () => forge(attacker, { header: { jku: 'https://evil.example/jwks.json' } }), reason: 'forbidden_header' },
  { name: 'x5u pointing to the attacker', token: () => forge(attacker, { header: { x5u: 'https://evil.example/cert.pem' } }), reason: 'forbidden_header' },
  { name: 'x5c with an attacker certificate chain', token: () => forge(attacker, { header: { x5c: [randomBytes(300).toString('base64')] } }), reason: 'forbidden_header' },
  ...(['jku', 'x5u', 'jwk', 'x5c'] as const).map((name): Case => ({
    name: `${name} header on a token signed by a trusted key`,
    token: () => forge(edKey, { header: { [name]: name === 'x5c' ? ['MIIB'] : name === 'jwk' ? attackerJwk : 'https://evil.example/' } }),
    reason: 'forbidden_header',
    stricterThanJose: true,
  })),

  // --- crit ---
  { name: 'unknown crit extension', token: () => forge(edKey, { header: { crit: ['urn:example:ext'], 'urn:example:ext': 1 } }), reason: 'unsupported_crit' },
  { name: 'malformed crit', token: () => forge(edKey, { header: { crit: 'exp' } }), reason: 'unsupported_crit' },
  { name: 'crit b64 (RFC 7797 is not for JWTs)', token: () => forge(edKey, { header: { crit: ['b64'], b64: true } }), reason: 'unsupported_crit', stricterThanJose: true },

  // --- typ ---
  { name: 'typ JWT where an access token is required', token: () => forge(edKey, { header: { typ: 'JWT' } }), reason: 'typ_mismatch' },
  { name: 'no typ', token: () => forge(edKey, { header: { typ: undefined } }), reason: 'typ_mismatch' },
  { name: 'typ of an ID token', token: () => forge(edKey, { header: { typ: 'application/id_token+jwt' } }), reason: 'typ_mismatch' },

  // --- retired and foreign keys ---
  { name: 'token signed by a retired key', token: () => forge(retiredKey), reason: 'unknown_kid' },
  { name: 'attacker key under a trusted kid', token: () => forge({ ...attacker, kid: edKey.kid }), reason: 'signature_invalid' },

  // --- encoding and size ---
  { name: 'oversized garbage', token: () => `${'a'.repeat(9000)}.b.c`, reason: 'oversized' },
  { name: 'oversized but validly signed', token: () => forge(edKey, { claims: claims({ pad: 'x'.repeat(9000) }) }), reason: 'oversized', stricterThanJose: true },
  { name: 'five segments (JWE shape)', token: () => `${forge(edKey)}.a.b`, reason: 'malformed' },
  { name: 'header is not JSON', token: () => `${Buffer.from('{alg:EdDSA').toString('base64url')}.e30.AAAA`, reason: 'malformed' },
  { name: 'payload is a JSON array', token: () => forge(edKey, { rawPayload: '[1,2,3]' }), reason: 'malformed' },
  {
    name: 'signature padded with "="',
    token: () => `${forge(edKey)}==`,
    reason: 'malformed',
    stricterThanJose: true,
  },
  {
    name: 'signature with non-canonical trailing bits (same bytes, another string)',
    token: () => {
      const token = forge(edKey);
      const last = token.at(-1) ?? 'A';
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      // 64 bytes → 86 characters: the last one carries 2 data bits and 4 unused ones.
      return token.slice(0, -1) + (alphabet[alphabet.indexOf(last) + 1] ?? 'B');
    },
    reason: 'malformed',
    stricterThanJose: true,
  },
  { name: 'whitespace inside the signature', token: () => forge(edKey).replace(/(.)$/, ' $1'), reason: 'malformed', stricterThanJose: true },
];

describe('attack and vector tokens: Rampart refuses, and agrees with jose jwtVerify', () => {
  it.each(cases)('$name', async (c) => {
    const token = c.token();
    const verifier = c.hs === true ? withHs : strict;
    const result = verifier.verify(token);
    if (c.reason === undefined) {
      expect(result.ok, JSON.stringify(result)).toBe(true);
    } else {
      expect(result).toEqual({ ok: false, reason: c.reason });
    }
    // The cache must not change any verdict: a second call answers the same.
    expect(verifier.verify(token)).toEqual(result);
    const algorithms = c.hs === true ? ['EdDSA', 'ES256', 'HS256'] : ['EdDSA', 'ES256'];
    expect(await joseAccepts(token, algorithms)).toBe(c.reason === undefined || c.stricterThanJose === true);
  });
});
