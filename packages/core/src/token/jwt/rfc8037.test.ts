import { createPrivateKey, createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifyBytes } from './algorithms.js';
import { signCompact, verifyCompactSignature } from './jws.js';
import { JwtKeySet } from './keyset.js';

// RFC 8037 Appendix A.1: the Ed25519 key used by every example in the appendix.
const RFC_JWK = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
} as const;
const PAYLOAD = 'Example of Ed25519 signing';
// RFC 8037 Appendix A.4: the compact JWS of PAYLOAD under {"alg":"EdDSA"}.
const RFC_JWS =
  'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg';

const privateKey = createPrivateKey({ key: RFC_JWK, format: 'jwk' });
const publicKey = createPublicKey({ key: { kty: RFC_JWK.kty, crv: RFC_JWK.crv, x: RFC_JWK.x }, format: 'jwk' });

function flipBit(token: string, segment: 0 | 1 | 2, bit: number): string {
  const parts = token.split('.');
  const bytes = Buffer.from(parts[segment]!, 'base64url');
  bytes[bit >> 3]! ^= 1 << (bit & 7);
  parts[segment] = bytes.toString('base64url');
  return parts.join('.');
}

describe('RFC 8037 Appendix A (Ed25519 JWS)', () => {
  it('A.4: the signing primitive produces exactly the published signature (Ed25519 is deterministic)', () => {
    expect(signCompact('EdDSA', privateKey, { alg: 'EdDSA' }, Buffer.from(PAYLOAD, 'utf8'))).toBe(RFC_JWS);
  });

  it('A.5: the verify primitive accepts the published JWS', () => {
    expect(verifyCompactSignature(RFC_JWS, 'EdDSA', publicKey)).toBe(true);
  });

  it('A.5 attack: one flipped bit anywhere (header, payload, signature) is rejected', () => {
    for (const [segment, bit] of [[0, 3], [1, 0], [1, 100], [2, 0], [2, 511]] as const) {
      expect(verifyCompactSignature(flipBit(RFC_JWS, segment, bit), 'EdDSA', publicKey)).toBe(false);
    }
    const [header = '', payload = '', signature = ''] = RFC_JWS.split('.');
    const raw = Buffer.from(signature, 'base64url');
    raw[0]! ^= 0x01;
    expect(verifyBytes('EdDSA', publicKey, Buffer.from(`${header}.${payload}`), raw)).toBe(false);
  });

  it('attack: the same JWS presented as another algorithm is rejected', () => {
    expect(verifyCompactSignature(RFC_JWS, 'ES256', publicKey)).toBe(false);
    expect(verifyCompactSignature(RFC_JWS, 'HS256', publicKey)).toBe(false);
  });

  it('A.3: the RFC 7638 thumbprint is kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k and is the default kid', async () => {
    const expected = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';
    expect(await calculateJwkThumbprint({ kty: RFC_JWK.kty, crv: RFC_JWK.crv, x: RFC_JWK.x })).toBe(expected);
    const keys = JwtKeySet.empty();
    expect(await keys.import({ ...RFC_JWK }, { current: true })).toBe(expected);
    expect(keys.current.kid).toBe(expected);
    expect(keys.jwks().keys[0]).toEqual({ kty: 'OKP', crv: 'Ed25519', x: RFC_JWK.x, kid: expected, alg: 'EdDSA', use: 'sig' });
  });
});
