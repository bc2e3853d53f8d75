/**
 * JWT issue and verify: Ed25519 / P-256 by default, RSA (RS256, PS256, …) and HS256 only by name, RFC 9068 access tokens, key rotation with
 * overlap, JWKS publishing, and a rate-limited remote JWKS cache. See README.md for the threat model and defaults.
 */
export {
  DEFAULT_ALGORITHMS,
  MAX_RSA_MODULUS_BITS,
  MIN_HMAC_SECRET_BYTES,
  MIN_RSA_MODULUS_BITS,
  RSA_ALGORITHMS,
  type AsymmetricJwtAlgorithm,
  type JwtAlgorithm,
  type RsaJwtAlgorithm,
} from './algorithms.js';
export type { JwtClaims } from './claims.js';
export { createJwtIssuer, type AccessTokenClaims, type IssuedJwt, type JwtIssuer, type JwtIssuerOptions } from './issuer.js';
export { signCompact, verifyCompactSignature } from './jws.js';
export type { EllipticPublicJwk, JwkProblem, PublicJwk, PublicJwks, RsaPublicJwk, SigningKey, VerificationKey } from './keys.js';
export {
  JwtKeyError,
  JwtKeySet,
  type JwtKeySetChange,
  type JwtKeySetOptions,
  type VerificationKeySource,
} from './keyset.js';
export type { JwtFailure } from './reasons.js';
export {
  RemoteJwks,
  type IgnoredJwk,
  type IgnoredJwkReason,
  type RemoteJwksOptions,
  type RemoteJwksStatus,
} from './remote-jwks.js';
export { KEYSET_FORMAT, type EncryptedJwtKey, type EncryptedJwtKeySet } from './storage.js';
export {
  ACCESS_TOKEN_TYP,
  DEFAULT_MAX_TOKEN_LENGTH,
  createJwtVerifier,
  type JwtVerifier,
  type JwtVerifierOptions,
  type VerifiedJwt,
} from './verifier.js';
