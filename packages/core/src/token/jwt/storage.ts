import { ConfigurationError } from '../../errors.js';
import { FieldCipher } from '../../crypto/field.js';
import type { KeyRing } from '../../crypto/keyring.js';
import { isJwtAlgorithm, type JwtAlgorithm } from './algorithms.js';
import { checkKid, isSigningKey, keyFromJwk, publicJwkOf, sameKeyMaterial, type PublicJwk, type SigningKey, type VerificationKey } from './keys.js';

/** The format tag of {@link EncryptedJwtKeySet}; a document without it is refused. */
export const KEYSET_FORMAT = 'rampart-jwt-keys/1';

/** One stored key: public part in clear (it is public), private part sealed. */
export interface EncryptedJwtKey {
  readonly kid: string;
  readonly alg: JwtAlgorithm;
  readonly public?: PublicJwk;
  /** The private JWK (or the HS256 secret) as a {@link FieldCipher} envelope bound to this kid and algorithm. */
  readonly private?: string;
}

/** A key set at rest: safe to keep in a file or a database row, useless without the key ring. */
export interface EncryptedJwtKeySet {
  readonly format: typeof KEYSET_FORMAT;
  readonly current: string | null;
  readonly keys: readonly EncryptedJwtKey[];
}

/*
 * The associated data names the purpose, the kid and the algorithm: a sealed private key copied under another kid (so
 * that a token naming that kid verifies with an attacker-chosen key) or relabelled as another algorithm fails to open.
 */
function contextOf(kid: string, alg: JwtAlgorithm): { purpose: string; kid: string; alg: string } {
  return { purpose: 'jwk-private', kid, alg };
}

/** Seals the private parts of `keys` with the ring's active key. */
export function sealKeys(ring: KeyRing, keys: readonly (VerificationKey | SigningKey)[], current: string | undefined): EncryptedJwtKeySet {
  const cipher = new FieldCipher(ring);
  return {
    format: KEYSET_FORMAT,
    current: current ?? null,
    keys: keys.map((key): EncryptedJwtKey => {
      const sealed = isSigningKey(key)
        ? cipher.encrypt(JSON.stringify(key.signingKey.export({ format: 'jwk' })), contextOf(key.kid, key.alg))
        : undefined;
      return {
        kid: key.kid,
        alg: key.alg,
        ...(key.alg === 'HS256' ? {} : { public: publicJwkOf(key.kid, key.alg, key.key) }),
        ...(sealed === undefined ? {} : { private: sealed }),
      };
    }),
  };
}

function invalid(message: string): never {
  throw new ConfigurationError(`encrypted JWT key set: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Opens a sealed key set. Anything tampered, relabelled or sealed by another ring is a {@link ConfigurationError}. */
export function openKeys(ring: KeyRing, document: unknown): { keys: (VerificationKey | SigningKey)[]; current: string | undefined } {
  if (!isRecord(document) || document.format !== KEYSET_FORMAT || !Array.isArray(document.keys)) invalid(`expected format ${KEYSET_FORMAT}`);
  const cipher = new FieldCipher(ring);
  const keys: (VerificationKey | SigningKey)[] = [];
  const seen = new Set<string>();
  for (const entry of document.keys as unknown[]) {
    if (!isRecord(entry) || typeof entry.kid !== 'string' || !isJwtAlgorithm(entry.alg)) invalid('every key needs a kid and a supported alg');
    const kid = checkKid(entry.kid);
    const alg = entry.alg;
    if (seen.has(kid)) invalid(`duplicate kid "${kid}"`);
    seen.add(kid);
    let jwk: unknown = entry.public;
    if (entry.private !== undefined) {
      if (typeof entry.private !== 'string') invalid(`key "${kid}": private part must be a string`);
      const opened = cipher.tryDecrypt(entry.private, contextOf(kid, alg));
      if (!opened.ok) invalid(`key "${kid}" could not be decrypted (${opened.reason})`);
      try {
        jwk = JSON.parse(opened.value.toString('utf8'));
      } catch {
        invalid(`key "${kid}" is not a JWK`);
      }
    }
    if (!isRecord(jwk)) invalid(`key "${kid}" has no key material`);
    // The label binds the key: an RSA key has no algorithm of its own, and any other key must match its label.
    const key = keyFromJwk(jwk, kid, alg);
    if (key.alg !== alg) invalid(`key "${kid}" is labelled ${alg} but is a ${key.alg} key`);
    if (key.alg !== 'HS256' && entry.public !== undefined) {
      // The clear public part is what the JWKS publishes; it must be the public half of the sealed private key.
      const derived = publicJwkOf(kid, key.alg, key.key);
      if (!isRecord(entry.public) || !sameKeyMaterial(entry.public, derived)) invalid(`key "${kid}": public part does not match the private key`);
    }
    keys.push(key);
  }
  const current = document.current;
  if (current !== null) {
    const signer = keys.find((key) => key.kid === current);
    if (signer === undefined || !isSigningKey(signer)) invalid('"current" must name a key with a private part');
  }
  return { keys, current: current === null ? undefined : (current as string) };
}
