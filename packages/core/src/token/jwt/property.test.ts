import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { createJwtIssuer, type JwtIssuer } from './issuer.js';
import { signCompact } from './jws.js';
import { JwtKeySet } from './keyset.js';
import type { JwtFailure } from './reasons.js';
import { createJwtVerifier, type JwtVerifier } from './verifier.js';

const REASONS: readonly JwtFailure[] = [
  'malformed', 'oversized', 'alg_not_allowed', 'forbidden_header', 'unsupported_crit', 'typ_mismatch', 'unknown_kid',
  'signature_invalid', 'missing_claim', 'invalid_claim', 'issuer_mismatch', 'audience_mismatch', 'expired',
  'not_yet_valid', 'too_old',
];

const clock = new ManualClock();
let keys: JwtKeySet;
let issuer: JwtIssuer;
let verifier: JwtVerifier;

beforeAll(async () => {
  keys = await JwtKeySet.generate();
  await keys.rotate('ES256');
  issuer = createJwtIssuer({ keys, issuer: 'i', audience: 'a', clock });
  verifier = createJwtVerifier({ keys, issuer: 'i', audience: 'a', clock, algorithms: ['EdDSA', 'ES256', 'HS256'] });
});

function expectTypedFailure(token: unknown): void {
  const result = verifier.verify(token);
  expect(result.ok).toBe(false);
  if (!result.ok) expect(REASONS).toContain(result.reason);
}

const segment = fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/);

describe('verify never throws and returns a typed failure', () => {
  it('on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), expectTypedFailure), { numRuns: 400 });
  });

  it('on arbitrary three-segment base64url shapes', () => {
    fc.assert(fc.property(segment, segment, segment, (a, b, c) => {
      expectTypedFailure(`${a}.${b}.${c}`);
    }), { numRuns: 300 });
  });

  it('on arbitrary JSON headers and payloads, signed with a trusted key', () => {
    const json = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 });
    fc.assert(
      fc.property(json, json, fc.constantFrom('EdDSA', 'ES256', 'none', 'HS256', 'RS256'), (header, payload, alg) => {
        const token = signCompact(keys.current.alg, keys.current.signingKey, { ...header, alg }, Buffer.from(JSON.stringify(payload)));
        expectTypedFailure(token);
      }),
      { numRuns: 200 },
    );
  });

  it('on every mutation of a valid token (substitute, insert, delete a character): never accepted', () => {
    const { token } = issuer.issueAccessToken({ sub: 'u' });
    const chars = fc.constantFrom(...Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.= {}"\u00e9'));
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), chars, fc.constantFrom('sub', 'ins', 'del'), (at, ch, op) => {
        const mutated = op === 'sub' ? token.slice(0, at) + ch + token.slice(at + 1) : op === 'ins' ? token.slice(0, at) + ch + token.slice(at) : token.slice(0, at) + token.slice(at + 1);
        fc.pre(mutated !== token);
        expectTypedFailure(mutated);
      }),
      { numRuns: 500 },
    );
  });
});

describe('round trip', () => {
  it('any claims a caller may set come back unchanged', () => {
    const extra = fc.dictionary(fc.stringMatching(/^[a-z_]{1,8}$/), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), extra, (sub, more) => {
        const claims = Object.fromEntries(Object.entries(more).filter(([k]) => !['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'sub'].includes(k)));
        const issued = issuer.issueAccessToken({ ...claims, sub });
        const result = verifier.verify(issued.token);
        if (!result.ok) throw new Error(result.reason);
        expect(result.value.claims).toEqual(JSON.parse(JSON.stringify({ ...claims, sub, iss: 'i', aud: 'a', iat: result.value.claims.iat, exp: issued.expiresAt, jti: issued.jti })));
      }),
      { numRuns: 100 },
    );
  });
});
