import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPair, type JsonWebKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint } from 'jose';
import { ConfigurationError } from '../../errors.js';
import {
  isRsaAlgorithm,
  MIN_HMAC_SECRET_BYTES,
  MIN_RSA_MODULUS_BITS,
  rsaKeyProblem,
  type AsymmetricJwtAlgorithm,
  type JwtAlgorithm,
  type RsaJwtAlgorithm,
} from './algorithms.js';

/** A published Ed25519 or P-256 key: only the members below, never a private one. */
export interface EllipticPublicJwk {
  readonly kty: 'OKP' | 'EC';
  readonly crv: 'Ed25519' | 'P-256';
  readonly x: string;
  readonly y?: string;
  readonly kid: string;
  readonly alg: 'EdDSA' | 'ES256';
  readonly use: 'sig';
}

/** A published RSA key (RFC 7518 §6.3.1): modulus and exponent, never a private member. */
export interface RsaPublicJwk {
  readonly kty: 'RSA';
  readonly n: string;
  readonly e: string;
  readonly kid: string;
  readonly alg: RsaJwtAlgorithm;
  readonly use: 'sig';
}

/** A public key as published in a JWKS. */
export type PublicJwk = EllipticPublicJwk | RsaPublicJwk;

/** A JSON Web Key Set (RFC 7517 §5) with public keys only. */
export interface PublicJwks {
  readonly keys: readonly PublicJwk[];
}

/**
 * One key the verifier may use. The algorithm belongs to the key, not to the token: a token naming another
 * algorithm for this key is refused (RFC 8725 §3.1, algorithm confusion). An RSA key, too, verifies one algorithm
 * only: a PS256 key never checks an RS256 signature.
 */
export interface VerificationKey {
  readonly kid: string;
  readonly alg: JwtAlgorithm;
  /** Public key (EdDSA, ES256, RS*, PS*) or secret (HS256). */
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

/** The curve each elliptic-curve algorithm is pinned to. */
const CURVES: Readonly<Record<'EdDSA' | 'ES256', { kty: 'OKP' | 'EC'; crv: 'Ed25519' | 'P-256' }>> = {
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  ES256: { kty: 'EC', crv: 'P-256' },
};

/** Why a JWK cannot become a verification key. Stable codes, safe to log. */
export type JwkProblem =
  /** A key type or curve Rampart does not verify with (P-384, X25519, …). */
  | 'unsupported_key_type'
  /** `alg` contradicts the key type (`ES256` on an Ed25519 key, `RSA-OAEP` on an RSA key), or the configuration. */
  | 'alg_mismatch'
  /** An RSA key without `alg`, and no configured algorithm to bind it to. */
  | 'alg_missing'
  /** `use` other than `sig`, or `key_ops` without a signature operation (an encryption key). */
  | 'not_for_signature'
  | 'rsa_modulus_too_small'
  | 'rsa_modulus_too_large'
  | 'rsa_exponent_invalid'
  /** Members that do not make a key (bad base64url, a point off the curve, …). */
  | 'invalid_key';

/**
 * The algorithm a JWK verifies, or why it has none. Elliptic-curve and oct keys imply theirs; an RSA key could serve
 * six algorithms, so it is bound to exactly one: its own `alg` member, else `configured`. A `configured`
 * algorithm (when given) must agree with whatever the key says.
 */
export function jwkAlgorithm(jwk: { readonly kty?: unknown; readonly crv?: unknown; readonly alg?: unknown }, configured?: JwtAlgorithm): JwtAlgorithm | JwkProblem {
  let implied: JwtAlgorithm | undefined;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') implied = 'EdDSA';
  else if (jwk.kty === 'EC' && jwk.crv === 'P-256') implied = 'ES256';
  else if (jwk.kty === 'oct') implied = 'HS256';
  else if (jwk.kty !== 'RSA') return 'unsupported_key_type';
  if (implied !== undefined) {
    if (jwk.alg !== undefined && jwk.alg !== implied) return 'alg_mismatch';
    if (configured !== undefined && configured !== implied) return 'alg_mismatch';
    return implied;
  }
  if (jwk.alg !== undefined && !isRsaAlgorithm(jwk.alg)) return 'alg_mismatch';
  if (configured !== undefined && !isRsaAlgorithm(configured)) return 'alg_mismatch';
  if (jwk.alg !== undefined && configured !== undefined && jwk.alg !== configured) return 'alg_mismatch';
  const alg = jwk.alg ?? configured;
  return alg === undefined ? 'alg_missing' : alg;
}

/**
 * RFC 7517 §4.2-4.3: a key published for encryption (`use: "enc"`, or `key_ops` without a signature operation) must
 * not verify signatures, even when its type would allow it. `operations`: the ones that make the key usable here.
 */
export function isForSignatures(jwk: { readonly use?: unknown; readonly key_ops?: unknown }, operations: readonly ('sign' | 'verify')[]): boolean {
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.key_ops === undefined) return true;
  return Array.isArray(jwk.key_ops) && operations.some((operation) => (jwk.key_ops as unknown[]).includes(operation));
}

/** The public key of a JWK from its public members only (a private member never reaches the import). */
export function publicKeyOfJwk(jwk: JsonWebKey): KeyObject {
  const { kty, crv, x, y, n, e } = jwk;
  return createPublicKey({ key: kty === 'RSA' ? { kty, n, e } : { kty, crv, x, y }, format: 'jwk' });
}

/** The public members of an asymmetric key, rebuilt from an allowlist so that no private member can slip through. */
export function publicJwkOf(kid: string, alg: AsymmetricJwtAlgorithm, key: KeyObject): PublicJwk {
  const exported = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  if (isRsaAlgorithm(alg)) {
    if (exported.kty !== 'RSA' || typeof exported.n !== 'string' || typeof exported.e !== 'string') {
      throw new ConfigurationError(`key "${kid}" is not an RSA key`);
    }
    return { kty: 'RSA', n: exported.n, e: exported.e, kid, alg, use: 'sig' };
  }
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

/** Whether two published keys carry the same key material (the members RFC 7638 hashes). */
export function sameKeyMaterial(a: object, b: object): boolean {
  return ['kty', 'crv', 'x', 'y', 'n', 'e'].every((member) => (a as Record<string, unknown>)[member] === (b as Record<string, unknown>)[member]);
}

/** RFC 7638 thumbprint (jose), the default kid: derived from the key itself, so two keys never share one by accident. */
export async function thumbprintOf(alg: AsymmetricJwtAlgorithm, key: KeyObject): Promise<string> {
  const jwk = publicJwkOf('thumbprint', alg, key);
  // jose hashes the required members of the key type only (kty, crv, x, y or kty, n, e).
  return calculateJwkThumbprint(jwk.kty === 'RSA' ? { kty: jwk.kty, n: jwk.n, e: jwk.e } : { kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...(jwk.y === undefined ? {} : { y: jwk.y }) }, 'sha256');
}

const generate = promisify(generateKeyPair);

/**
 * Generates a fresh asymmetric key pair for `alg`, off the event loop (an RSA key takes tens of milliseconds). RSA
 * keys have a 2048-bit modulus and the exponent 65537.
 */
export async function generatePair(alg: AsymmetricJwtAlgorithm): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  if (alg === 'EdDSA') return generate('ed25519');
  if (alg === 'ES256') return generate('ec', { namedCurve: 'P-256' });
  return generate('rsa', { modulusLength: MIN_RSA_MODULUS_BITS, publicExponent: 0x10001 });
}

/** Turns an HS256 secret into a key, refusing anything below 256 bits (RFC 7518 §3.2). */
export function secretKeyOf(secret: Uint8Array | string): KeyObject {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'base64url') : Buffer.from(secret);
  if (bytes.length < MIN_HMAC_SECRET_BYTES) {
    throw new ConfigurationError(`an HS256 secret needs at least ${MIN_HMAC_SECRET_BYTES * 8} bits; got ${bytes.length * 8}`);
  }
  return createSecretKey(bytes);
}

const PROBLEMS: Readonly<Record<JwkProblem, string>> = {
  unsupported_key_type: 'only Ed25519 (OKP), P-256 (EC), RSA and oct keys can be imported',
  alg_mismatch: 'its alg does not match its key type or the configured algorithm',
  alg_missing: 'an RSA key without "alg" needs an algorithm from the configuration (e.g. { algorithm: "RS256" })',
  not_for_signature: 'it is not a signature key ("use" or "key_ops" say otherwise)',
  rsa_modulus_too_small: `its RSA modulus is below ${MIN_RSA_MODULUS_BITS} bits`,
  rsa_modulus_too_large: 'its RSA modulus is above 8192 bits',
  rsa_exponent_invalid: 'its RSA public exponent is not an odd number between 65537 and 2^32 - 1',
  invalid_key: 'its members do not make a key',
};

/**
 * Imports a JWK as a Rampart key. Refuses key types Rampart does not sign with, an `alg` member that contradicts the
 * key type or `algorithm` (the configuration's binding, needed for an RSA JWK without `alg`), encryption keys, short
 * HMAC secrets and weak or oversized RSA keys.
 */
export function keyFromJwk(jwk: JsonWebKey & { alg?: unknown; key_ops?: unknown }, kid: string, algorithm?: JwtAlgorithm): VerificationKey | SigningKey {
  const refuse = (problem: JwkProblem, cause?: unknown): never => {
    throw new ConfigurationError(`JWK "${kid}" cannot be imported: ${PROBLEMS[problem]}`, cause === undefined ? undefined : { cause });
  };
  const alg = jwkAlgorithm(jwk, algorithm);
  if (!isJwkAlgorithm(alg)) return refuse(alg);
  if (!isForSignatures(jwk, ['sign', 'verify'])) return refuse('not_for_signature');
  if (alg === 'HS256') {
    if (typeof jwk.k !== 'string') throw new ConfigurationError('an oct JWK needs "k"');
    const secret = secretKeyOf(jwk.k);
    return { kid, alg, key: secret, signingKey: secret };
  }
  let imported: { key: KeyObject; signingKey?: KeyObject };
  try {
    if (typeof jwk.d === 'string') {
      const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
      imported = { key: createPublicKey(privateKey), signingKey: privateKey };
    } else {
      imported = { key: publicKeyOfJwk(jwk) };
    }
  } catch (cause) {
    return refuse('invalid_key', cause);
  }
  if (isRsaAlgorithm(alg)) {
    const problem = rsaKeyProblem(imported.key);
    if (problem === 'not_rsa') return refuse('invalid_key');
    if (problem !== undefined) return refuse(problem);
  }
  return imported.signingKey === undefined ? { kid, alg, key: imported.key } : { kid, alg, key: imported.key, signingKey: imported.signingKey };
}

/** Narrows {@link jwkAlgorithm}'s answer to an algorithm. */
export function isJwkAlgorithm(value: JwtAlgorithm | JwkProblem): value is JwtAlgorithm {
  return !Object.hasOwn(PROBLEMS, value);
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
