import { createHmac, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { ConfigurationError } from '../../errors.js';

/** The JWS algorithms Rampart signs and verifies. Everything else (RS*, PS*, ES384, `none`, …) is refused. */
export type JwtAlgorithm = 'EdDSA' | 'ES256' | 'HS256';

/** Algorithms with a public key, the only ones a JWKS may publish. */
export type AsymmetricJwtAlgorithm = Exclude<JwtAlgorithm, 'HS256'>;

/**
 * The default allowlist: Ed25519 and P-256. HS256 is left out on purpose: a shared secret lets every verifier mint
 * tokens, and mixing it with public keys is how algorithm-confusion attacks begin (RFC 8725 §2.1, §3.1).
 */
export const DEFAULT_ALGORITHMS: readonly JwtAlgorithm[] = Object.freeze(['EdDSA', 'ES256']);

/** HMAC keys shorter than the hash output are refused (RFC 7518 §3.2): 256 bits for HS256. */
export const MIN_HMAC_SECRET_BYTES = 32;

const KNOWN: ReadonlySet<string> = new Set<JwtAlgorithm>(['EdDSA', 'ES256', 'HS256']);

/** Signature lengths (RFC 8037 §3.1, RFC 7518 §3.4 (R || S, 2 × 32 bytes), RFC 7518 §3.2). */
const SIGNATURE_BYTES: Readonly<Record<JwtAlgorithm, number>> = { EdDSA: 64, ES256: 64, HS256: 32 };

export function isJwtAlgorithm(value: unknown): value is JwtAlgorithm {
  return typeof value === 'string' && KNOWN.has(value);
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
    if (!isJwtAlgorithm(name)) throw new ConfigurationError(`unsupported JWS algorithm "${String(name)}"; use EdDSA, ES256 or HS256`);
    allowed.add(name);
  }
  return allowed;
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
  }
}

/**
 * Checks a JWS signature synchronously. Returns false (never throws) for a wrong length or a wrong signature, so that
 * attacker-chosen bytes only ever produce a verdict.
 */
export function verifyBytes(alg: JwtAlgorithm, key: KeyObject, signingInput: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES[alg]) return false;
  try {
    switch (alg) {
      case 'EdDSA':
        return verify(null, signingInput, key, signature);
      case 'ES256':
        return verify('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'HS256':
        // Constant-time: an early-exit compare would let an attacker forge a MAC byte by byte.
        return timingSafeEqual(createHmac('sha256', key).update(signingInput).digest(), signature);
    }
  } catch {
    return false;
  }
}
