import { generateKeyPairSync } from 'node:crypto';
import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { describe, expect, it } from 'vitest';
import { hasCanonicalEcdsaSignature } from './strict-signature.js';
import { fixture, ORIGIN, registerAuthenticator, RP_ID } from './test/fixture.js';

/** Flips one bit in the DER header of the signature (SEQUENCE tag, length, first INTEGER tag/length). */
function malleate(signature: string, index: number, bit: number): string {
  const bytes = Buffer.from(signature, 'base64url');
  bytes[index] = (bytes[index] ?? 0) ^ (1 << bit);
  return bytes.toString('base64url');
}

describe('strict ECDSA signature encoding', () => {
  it('ATTACK: a malleated DER header is refused, although the library alone would accept it', async () => {
    const fx = fixture();
    const authenticator = await registerAuthenticator(fx, 'user-a');
    const stored = await fx.credentials.findById(authenticator.id);
    let libraryAccepted = 0;
    for (let index = 0; index < 4; index++) {
      for (let bit = 0; bit < 8; bit++) {
        const { ceremonyId, options } = await fx.webauthn.startAuthentication('user-a');
        const genuine = authenticator.authenticate(options);
        const response = { ...genuine, response: { ...genuine.response } };
        response.response.signature = malleate(genuine.response.signature, index, bit);
        const library = await verifyAuthenticationResponse({
          response,
          expectedChallenge: options.challenge,
          expectedOrigin: ORIGIN,
          expectedRPID: RP_ID,
          credential: { id: authenticator.id, publicKey: new Uint8Array(stored?.publicKey ?? []), counter: 0 },
        }).then(
          (v) => v.verified,
          () => false,
        );
        if (library) libraryAccepted++;
        expect(await fx.webauthn.finishAuthentication(ceremonyId, response)).toEqual({
          ok: false,
          reason: 'verification_failed',
        });
      }
    }
    // The attack is real: some of these encodings pass the library's own check.
    expect(libraryAccepted).toBeGreaterThan(0);
  });

  it('does not apply to non-EC2 keys and fails closed on other curves and garbage', () => {
    const okp = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 1],
        [3, -8],
        [-1, 6],
        [-2, new Uint8Array(32)],
      ]),
    );
    expect(hasCanonicalEcdsaSignature(okp, 'AA', 'AA', 'AA')).toBe(true);
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
    const p384 = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -35],
        [-1, 2],
        [-2, new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'))],
        [-3, new Uint8Array(Buffer.from(jwk.y ?? '', 'base64url'))],
      ]),
    );
    expect(hasCanonicalEcdsaSignature(p384, 'AA', 'AA', 'AA')).toBe(false);
    expect(hasCanonicalEcdsaSignature(new Uint8Array([0xff, 0x00]), 'AA', 'AA', 'AA')).toBe(false);
  });
});
