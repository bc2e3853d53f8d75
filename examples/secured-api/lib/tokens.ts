/**
 * Bearer tokens, reset tokens and gift-message encryption, all from `@rampart/core`:
 * - JWTs are EdDSA access tokens (`@rampart/core/token`); the verifier has a fixed algorithm allowlist, so `alg: none`
 *   and HS256 tokens forged with any secret are refused, and the signing key is generated at start (never in source);
 * - reset tokens are 256 bits from the OS CSPRNG (`randomToken`);
 * - gift messages are sealed with AES-256-GCM bound to their order (`FieldCipher`), under a key ring from
 *   `RAMPART_KEYRING` or generated.
 */
import { FieldCipher, KeyRing, randomToken } from '@rampart/core/crypto';
import { JwtKeySet, createJwtIssuer, createJwtVerifier, type JwtIssuer, type JwtVerifier } from '@rampart/core/token';

const AUDIENCE = 'shop-api';

export interface ShopTokens {
  readonly issuer: JwtIssuer;
  readonly verifier: JwtVerifier;
  readonly giftCipher: FieldCipher;
  newResetToken(): string;
}

/** Keys for this process: the key ring from `RAMPART_KEYRING` when set, otherwise generated (tokens die on restart). */
export async function createShopTokens(origin: string, env: NodeJS.ProcessEnv = process.env): Promise<ShopTokens> {
  const ring = env.RAMPART_KEYRING === undefined ? KeyRing.generate({ name: 'shop' }) : KeyRing.fromEnv('RAMPART_KEYRING', env);
  const keys = await JwtKeySet.generate();
  return {
    issuer: createJwtIssuer({ keys, issuer: origin, audience: AUDIENCE }),
    verifier: createJwtVerifier({ keys, issuer: origin, audience: AUDIENCE }),
    giftCipher: new FieldCipher(ring),
    newResetToken: () => randomToken(),
  };
}
