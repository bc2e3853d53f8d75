import { constants, createHmac, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { ConfigurationError } from '../../errors.js';

/**
 * The RSA signature algorithms (RFC 7518 §3.3 RSASSA-PKCS1-v1_5, §3.5 RSASSA-PSS). Verified for issuers that sign
 * with RSA (RS256 is the algorithm RFC 9068 §2.1 requires support for); never in the default allowlist of the
 * JWT verifier, each listed by name.
 */
export type RsaJwtAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512';

/** The JWS algorithms Rampart signs and verifies. Everything else (ES384, ES512, `none`, …) is refused. */
export type JwtAlgorithm = 'EdDSA' | 'ES256' | 'HS256' | RsaJwtAlgorithm;

/** Algorithms with a public key, the only ones a JWKS may publish. */
export type AsymmetricJwtAlgorithm = Exclude<JwtAlgorithm, 'HS256'>;

/**
 * The default allowlist: Ed25519 and P-256. HS256 is left out on purpose: a shared secret lets every verifier mint
 * tokens, and mixing it with public keys is how algorithm-confusion attacks begin (RFC 8725 §2.1, §3.1). RSA is left
 * out because Rampart's own issuer does not sign with it; list it by name for an issuer that does.
 */
export const DEFAULT_ALGORITHMS: readonly JwtAlgorithm[] = Object.freeze(['EdDSA', 'ES256']);

/** HMAC keys shorter than the hash output are refused (RFC 7518 §3.2): 256 bits for HS256. */
export const MIN_HMAC_SECRET_BYTES = 32;

/**
 * RSA moduli below 2048 bits are refused (RFC 7518 §3.3 and §3.5 require at least 2048; 1024-bit keys are within
 * reach of well-funded attackers, 512-bit ones of anybody).
 */
export const MIN_RSA_MODULUS_BITS = 2048;

/**
 * RSA moduli above 8192 bits are refused too: each verification costs roughly the cube of the modulus size, so a
 * JWKS serving a 16384-bit key would make every token check several times slower for no security gain.
 */
export const MAX_RSA_MODULUS_BITS = 8192;

/** The RSA algorithms, each with its hash; `pss` selects RSASSA-PSS with MGF1 of the same hash (RFC 7518 §3.5). */
const RSA: Readonly<Record<RsaJwtAlgorithm, { readonly hash: 'sha256' | 'sha384' | 'sha512'; readonly pss: boolean }>> = {
  RS256: { hash: 'sha256', pss: false },
  RS384: { hash: 'sha384', pss: false },
  RS512: { hash: 'sha512', pss: false },
  PS256: { hash: 'sha256', pss: true },
  PS384: { hash: 'sha384', pss: true },
  PS512: { hash: 'sha512', pss: true },
};

/** The RSA algorithms, in a stable order. */
export const RSA_ALGORITHMS: readonly RsaJwtAlgorithm[] = Object.freeze(Object.keys(RSA) as RsaJwtAlgorithm[]);

const KNOWN: ReadonlySet<string> = new Set<JwtAlgorithm>(['EdDSA', 'ES256', 'HS256', ...RSA_ALGORITHMS]);

/** Fixed signature lengths (RFC 8037 §3.1, RFC 7518 §3.4 (R || S, 2 × 32 bytes), RFC 7518 §3.2); RSA's is the modulus'. */
const SIGNATURE_BYTES: Readonly<Record<'EdDSA' | 'ES256' | 'HS256', number>> = { EdDSA: 64, ES256: 64, HS256: 32 };

export function isJwtAlgorithm(value: unknown): value is JwtAlgorithm {
  return typeof value === 'string' && KNOWN.has(value);
}

export function isRsaAlgorithm(value: unknown): value is RsaJwtAlgorithm {
  return typeof value === 'string' && Object.hasOwn(RSA, value);
}

/**
 * Validates a configured allowlist. Protects against configurations that re-open known holes: `none` in any
 * capitalisation (unsigned tokens), unknown names, and an empty list that a caller might read as "anything goes".
 */
export function checkAllowlist(algorithms: readonly string[] | undefined): ReadonlySet<JwtAlgorithm> {
  if (algorithms === undefined) return new Set(DEFAULT_ALGORITHMS);
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new ConfigurationError('algorithms must be a non-empty list, e.g. ["EdDSA", "ES256"]');
  }
  const allowed = new Set<JwtAlgorithm>();
  for (const name of algorithms) {
    if (typeof name === 'string' && name.toLowerCase() === 'none') {
      throw new ConfigurationError('the "none" algorithm is never allowed: it accepts unsigned tokens (RFC 8725 §3.1)');
    }
    if (!isJwtAlgorithm(name)) {
      throw new ConfigurationError(`unsupported JWS algorithm "${String(name)}"; use EdDSA, ES256, HS256, ${RSA_ALGORITHMS.join(', ')}`);
    }
    allowed.add(name);
  }
  return allowed;
}

/**
 * Why an RSA public key must not be used, or `undefined` when it may. Refuses moduli outside 2048–8192 bits and
 * public exponents that are even, below 65537 (FIPS 186-5 §A.1.1: 2^16 < e) or above 2^32 − 1 (a huge exponent makes
 * every verification expensive: a denial of service chosen by whoever publishes the key).
 */
export function rsaKeyProblem(key: KeyObject): 'not_rsa' | 'rsa_modulus_too_small' | 'rsa_modulus_too_large' | 'rsa_exponent_invalid' | undefined {
  if (key.asymmetricKeyType !== 'rsa') return 'not_rsa';
  const details = key.asymmetricKeyDetails;
  const bits = details?.modulusLength;
  const exponent = details?.publicExponent;
  if (bits === undefined || exponent === undefined) return 'not_rsa';
  if (bits < MIN_RSA_MODULUS_BITS) return 'rsa_modulus_too_small';
  if (bits > MAX_RSA_MODULUS_BITS) return 'rsa_modulus_too_large';
  if (exponent % 2n === 0n || exponent <= 0x10000n || exponent > 0xffffffffn) return 'rsa_exponent_invalid';
  return undefined;
}

/** RFC 7518 §3.5: the PSS salt is as long as the hash output (`RSA_PSS_SALTLEN_DIGEST`), on signing and verifying. */
function rsaOptions(alg: RsaJwtAlgorithm, key: KeyObject): { key: KeyObject; padding: number; saltLength?: number } {
  return RSA[alg].pss
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : { key, padding: constants.RSA_PKCS1_PADDING };
}

/** The JWS signature of `signingInput` (RFC 7515 §5.1), with node:crypto's one-shot functions. */
export function signBytes(alg: JwtAlgorithm, key: KeyObject, signingInput: Uint8Array): Buffer {
  switch (alg) {
    case 'EdDSA':
      return sign(null, signingInput, key);
    case 'ES256':
      // JWS carries R || S (IEEE P1363), not the DER that OpenSSL emits by default (RFC 7518 §3.4).
      return sign('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' });
    case 'HS256':
      return createHmac('sha256', key).update(signingInput).digest();
    default:
      return sign(RSA[alg].hash, signingInput, rsaOptions(alg, key));
  }
}

/** The signature length `alg` produces with `key`: fixed, or for RSA the modulus length in bytes (RFC 8017 §8.2.2). */
function signatureBytes(alg: JwtAlgorithm, key: KeyObject): number | undefined {
  if (!isRsaAlgorithm(alg)) return SIGNATURE_BYTES[alg];
  const bits = key.asymmetricKeyDetails?.modulusLength;
  return bits === undefined ? undefined : Math.ceil(bits / 8);
}

/**
 * Checks a JWS signature synchronously. Returns false (never throws) for a wrong length or a wrong signature, so that
 * attacker-chosen bytes only ever produce a verdict.
 */
export function verifyBytes(alg: JwtAlgorithm, key: KeyObject, signingInput: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== signatureBytes(alg, key)) return false;
  try {
    switch (alg) {
      case 'EdDSA':
        return verify(null, signingInput, key, signature);
      case 'ES256':
        return verify('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'HS256':
        // Constant-time: an early-exit compare would let an attacker forge a MAC byte by byte.
        return timingSafeEqual(createHmac('sha256', key).update(signingInput).digest(), signature);
      default:
        // A key handed in for RSA must be one; a secret or an EC key never reaches OpenSSL's RSA code.
        if (key.asymmetricKeyType !== 'rsa') return false;
        return verify(RSA[alg].hash, signingInput, rsaOptions(alg, key), signature);
    }
  } catch {
    return false;
  }
}
