import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { ConfigurationError } from '../../errors.js';
import { MIN_HMAC_SECRET_BYTES, type AsymmetricJwtAlgorithm, type JwtAlgorithm } from './algorithms.js';

/** A public key as published in a JWKS: only the members below, never a private one. */
export interface PublicJwk {
  readonly kty: 'OKP' | 'EC';
  readonly crv: 'Ed25519' | 'P-256';
  readonly x: string;
  readonly y?: string;
  readonly kid: string;
  readonly alg: AsymmetricJwtAlgorithm;
  readonly use: 'sig';
}

/** A JSON Web Key Set (RFC 7517 §5) with public keys only. */
export interface PublicJwks {
  readonly keys: readonly PublicJwk[];
}

/**
 * One key the verifier may use. The algorithm belongs to the key, not to the token: a token naming another
 * algorithm for this key is refused (RFC 8725 §3.1, algorithm confusion).
 */
export interface VerificationKey {
  readonly kid: string;
  readonly alg: JwtAlgorithm;
  /** Public key (EdDSA, ES256) or secret (HS256). */
  readonly key: KeyObject;
}

/** A key that can also sign. */
export interface SigningKey extends VerificationKey {
  readonly signingKey: KeyObject;
}

/** Kids come from configuration or key generation only; this pattern keeps them printable and path-free. */
export const KID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

export function checkKid(kid: string): string {
  if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) {
    throw new ConfigurationError('a kid must be 1-128 characters of A-Z, a-z, 0-9, "_", "-", "." or ":"');
  }
  return kid;
}

/** The curve each asymmetric algorithm is pinned to. */
const CURVES: Readonly<Record<AsymmetricJwtAlgorithm, { kty: 'OKP' | 'EC'; crv: 'Ed25519' | 'P-256' }>> = {
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  ES256: { kty: 'EC', crv: 'P-256' },
};

/** The algorithm a JWK's key type and curve imply, or `undefined` for anything Rampart does not use. */
export function algorithmOfJwk(jwk: JsonWebKey): JwtAlgorithm | undefined {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'oct') return 'HS256';
  return undefined;
}

/** The public members of an asymmetric key, rebuilt from an allowlist so that no private member can slip through. */
export function publicJwkOf(kid: string, alg: AsymmetricJwtAlgorithm, key: KeyObject): PublicJwk {
  const exported = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  const { kty, crv } = CURVES[alg];
  if (exported.kty !== kty || exported.crv !== crv || typeof exported.x !== 'string') {
    throw new ConfigurationError(`key "${kid}" is not a ${crv} key`);
  }
  return {
    kty,
    crv,
    x: exported.x,
    ...(kty === 'EC' && typeof exported.y === 'string' ? { y: exported.y } : {}),
    kid,
    alg,
    use: 'sig',
  };
}

/** RFC 7638 thumbprint (jose), the default kid: derived from the key itself, so two keys never share one by accident. */
export async function thumbprintOf(alg: AsymmetricJwtAlgorithm, key: KeyObject): Promise<string> {
  const { kty, crv, x, y } = publicJwkOf('thumbprint', alg, key);
  return calculateJwkThumbprint(y === undefined ? { kty, crv, x } : { kty, crv, x, y }, 'sha256');
}

/** Generates a fresh asymmetric key pair for `alg`. */
export function generatePair(alg: AsymmetricJwtAlgorithm): { publicKey: KeyObject; privateKey: KeyObject } {
  return alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** Turns an HS256 secret into a key, refusing anything below 256 bits (RFC 7518 §3.2). */
export function secretKeyOf(secret: Uint8Array | string): KeyObject {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'base64url') : Buffer.from(secret);
  if (bytes.length < MIN_HMAC_SECRET_BYTES) {
    throw new ConfigurationError(`an HS256 secret needs at least ${MIN_HMAC_SECRET_BYTES * 8} bits; got ${bytes.length * 8}`);
  }
  return createSecretKey(bytes);
}

/**
 * Imports a JWK as a Rampart key. Refuses key types Rampart does not sign with, an `alg` member that contradicts the
 * key type, and short HMAC secrets.
 */
export function keyFromJwk(jwk: JsonWebKey & { alg?: unknown }, kid: string): VerificationKey | SigningKey {
  const alg = algorithmOfJwk(jwk);
  if (alg === undefined) throw new ConfigurationError('only Ed25519 (OKP), P-256 (EC) and oct keys can be imported');
  if (jwk.alg !== undefined && jwk.alg !== alg) {
    throw new ConfigurationError(`JWK alg does not match its key type (${alg})`);
  }
  try {
    if (alg === 'HS256') {
      if (typeof jwk.k !== 'string') throw new ConfigurationError('an oct JWK needs "k"');
      const secret = secretKeyOf(jwk.k);
      return { kid, alg, key: secret, signingKey: secret };
    }
    if (typeof jwk.d === 'string') {
      const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
      return { kid, alg, key: createPublicKey(privateKey), signingKey: privateKey };
    }
    const { kty, crv, x, y } = jwk;
    return { kid, alg, key: createPublicKey({ key: { kty, crv, x, y }, format: 'jwk' }) };
  } catch (cause) {
    if (cause instanceof ConfigurationError) throw cause;
    throw new ConfigurationError(`JWK "${kid}" could not be imported`, { cause });
  }
}

export function isSigningKey(key: VerificationKey): key is SigningKey {
  return 'signingKey' in key;
}

/**
 * The key a token names by `kid`, looked up only as a map key in the local set (a `kid` is never a path, a URL or a
 * query). Without a `kid`, the single key of the header's algorithm, or none when several could match: guessing
 * among keys would let an attacker choose which one verifies.
 */
export function selectKey(keys: ReadonlyMap<string, VerificationKey>, kid: string | undefined, alg: string): VerificationKey | undefined {
  if (kid !== undefined) return keys.get(kid);
  let match: VerificationKey | undefined;
  for (const key of keys.values()) {
    if (key.alg !== alg) continue;
    if (match !== undefined) return undefined;
    match = key;
  }
  return match;
}
