import type { JsonWebKey } from 'node:crypto';
import { RampartError } from '../../errors.js';
import { discardEvents, securityEvent, type SecurityEventSink } from '../../events.js';
import { randomToken } from '../../crypto/random.js';
import type { KeyRing } from '../../crypto/keyring.js';
import type { AsymmetricJwtAlgorithm, JwtAlgorithm } from './algorithms.js';
import { openKeys, sealKeys, type EncryptedJwtKeySet } from './storage.js';
import {
  checkKid,
  generatePair,
  isSigningKey,
  keyFromJwk,
  publicJwkOf,
  secretKeyOf,
  selectKey,
  thumbprintOf,
  type PublicJwk,
  type PublicJwks,
  type SigningKey,
  type VerificationKey,
} from './keys.js';

/** Thrown when a key set is asked for a key it does not hold, or to retire the key that signs. */
export class JwtKeyError extends RampartError {}

/** What changed in a key set; caches of verified tokens listen to it. */
export type JwtKeySetChange =
  | { readonly type: 'added'; readonly kid: string }
  | { readonly type: 'rotated'; readonly kid: string; readonly previous: string | undefined }
  | { readonly type: 'retired'; readonly kid: string };

/**
 * Where a verifier finds keys. `find` is synchronous and local: a token's `kid` is only ever a map key, never a path,
 * URL or query, so `../../etc/passwd` or `' OR 1=1 --` simply is not found.
 */
export interface VerificationKeySource {
  /** Changes whenever a key is added, rotated or removed, so caches of verified tokens know to drop their entries. */
  readonly generation: number;
  /**
   * The key named `kid`; without a kid, the only key of algorithm `alg` (none when several could match, so a
   * kid-less token never makes the verifier try keys in turn).
   */
  find(kid: string | undefined, alg: JwtAlgorithm): VerificationKey | undefined;
  /** For remote sets: fetch again (rate-limited by the source) because `kid` was not found. */
  refresh?(kid: string | undefined): Promise<void>;
}

export interface JwtKeySetOptions {
  /** Receives `token.signing_key.rotated` and `token.signing_key.retired` (kids only, never key material). */
  readonly events?: SecurityEventSink;
}

/**
 * The signing keys of an issuer: one current key signs, the previous ones still verify until they are retired.
 *
 * Protects against the usual key-management failures: a rotation that breaks every token in flight (overlap: old
 * keys verify until {@link retire}), kid collisions (default kids are RFC 7638 thumbprints), and private keys leaking
 * through the JWKS endpoint ({@link jwks} rebuilds each entry from public members only).
 */
export class JwtKeySet implements VerificationKeySource {
  readonly #keys = new Map<string, VerificationKey | SigningKey>();
  readonly #listeners = new Set<(change: JwtKeySetChange) => void>();
  readonly #events: SecurityEventSink;
  #current: string | undefined;
  #generation = 0;

  private constructor(options: JwtKeySetOptions) {
    this.#events = options.events ?? discardEvents;
  }

  /** An empty set, to be filled with {@link import} / {@link addSymmetric} (e.g. a verifier of another issuer's keys). */
  static empty(options: JwtKeySetOptions = {}): JwtKeySet {
    return new JwtKeySet(options);
  }

  /** A set with one freshly generated key (Ed25519 by default; P-256, or RSA-2048 for `RS256`/`PS256`/…) that signs. */
  static async generate(options: JwtKeySetOptions & { readonly algorithm?: AsymmetricJwtAlgorithm } = {}): Promise<JwtKeySet> {
    const set = new JwtKeySet(options);
    await set.rotate(options.algorithm ?? 'EdDSA');
    return set;
  }

  get generation(): number {
    return this.#generation;
  }

  /** The kid and algorithm of the key that signs now. */
  get current(): SigningKey {
    const key = this.#current === undefined ? undefined : this.#keys.get(this.#current);
    if (key === undefined || !isSigningKey(key)) throw new JwtKeyError('JWT_NO_SIGNING_KEY', 'this key set has no signing key');
    return key;
  }

  /** All kids, oldest first. */
  kids(): string[] {
    return [...this.#keys.keys()];
  }

  find(kid: string | undefined, alg: JwtAlgorithm): VerificationKey | undefined {
    return selectKey(this.#keys, kid, alg);
  }

  /**
   * Generates a new key (same algorithm as the current one unless given) and makes it the signer. The previous key
   * stays to verify tokens already issued until {@link retire}d, so rotation never logs anybody out.
   */
  async rotate(algorithm?: AsymmetricJwtAlgorithm): Promise<string> {
    const previous = this.#current;
    const previousAlg = previous === undefined ? undefined : this.#keys.get(previous)?.alg;
    const alg = algorithm ?? (previousAlg === undefined || previousAlg === 'HS256' ? 'EdDSA' : previousAlg);
    const { publicKey, privateKey } = await generatePair(alg);
    const kid = await thumbprintOf(alg, publicKey);
    this.#keys.set(kid, { kid, alg, key: publicKey, signingKey: privateKey });
    this.#makeCurrent(kid, previous);
    return kid;
  }

  /**
   * Adds a key from a JWK (RFC 7517). With private members it can sign and `current: true` makes it the signer;
   * without, it only verifies. The kid is the JWK's `kid`, else its RFC 7638 thumbprint.
   *
   * The key is bound to one algorithm: the one its type implies, or for RSA its `alg` member, else `algorithm` (an
   * RSA JWK with neither is refused, as is an `algorithm` that contradicts the key). Refuses, with a
   * {@link ConfigurationError}, encryption keys (`use`, `key_ops`), RSA moduli outside 2048–8192 bits, and RSA public
   * exponents that are even, below 65537 or above 2^32 − 1.
   */
  async import(
    jwk: JsonWebKey | PublicJwk,
    options: { readonly current?: boolean; readonly algorithm?: AsymmetricJwtAlgorithm } = {},
  ): Promise<string> {
    const probe = keyFromJwk(jwk as JsonWebKey, 'import', options.algorithm);
    const kid = typeof jwk.kid === 'string' ? checkKid(jwk.kid) : probe.alg === 'HS256' ? randomToken(16) : await thumbprintOf(probe.alg, probe.key);
    this.#add({ ...probe, kid }, options.current === true);
    return kid;
  }

  /**
   * Adds an HS256 secret (at least 256 bits). Only a verifier that lists 'HS256' by name accepts tokens signed with it.
   * The default kid is random: a hash of a secret is not something to publish.
   */
  addSymmetric(secret: Uint8Array | string, options: { readonly kid?: string; readonly current?: boolean } = {}): string {
    const key = secretKeyOf(secret);
    const kid = options.kid === undefined ? randomToken(16) : checkKid(options.kid);
    this.#add({ kid, alg: 'HS256', key, signingKey: key }, options.current === true);
    return kid;
  }

  /**
   * Removes a key: tokens it signed stop verifying at once (and verifiers drop them from their caches). The current
   * key cannot be retired; rotate first.
   */
  retire(kid: string): void {
    if (kid === this.#current) throw new JwtKeyError('JWT_KEY_ACTIVE', 'cannot retire the signing key; rotate first');
    if (!this.#keys.delete(kid)) throw new JwtKeyError('JWT_KEY_NOT_FOUND', `no key "${kid}" in this set`);
    this.#events(securityEvent('token.signing_key.retired', undefined, { kid }));
    this.#changed({ type: 'retired', kid });
  }

  /** The public keys (current and previous) as a JWKS document; symmetric keys and private members never appear. */
  jwks(): PublicJwks {
    const keys = [];
    for (const key of this.#keys.values()) {
      if (key.alg !== 'HS256') keys.push(publicJwkOf(key.kid, key.alg, key.key));
    }
    return { keys };
  }

  /**
   * The whole set with private parts sealed by `ring` (AES-256-GCM, {@link FieldCipher}), for storing in a file or a
   * database that must not be able to sign tokens on its own.
   */
  exportEncrypted(ring: KeyRing): EncryptedJwtKeySet {
    return sealKeys(ring, [...this.#keys.values()], this.#current);
  }

  /**
   * Opens a document made by {@link exportEncrypted}. A tampered, swapped or foreign-ring document is refused with a
   * {@link ConfigurationError}: a key set that cannot be trusted must stop the process at start, not sign tokens.
   */
  static importEncrypted(ring: KeyRing, document: EncryptedJwtKeySet, options: JwtKeySetOptions = {}): JwtKeySet {
    const { keys, current } = openKeys(ring, document);
    const set = new JwtKeySet(options);
    for (const key of keys) set.#keys.set(key.kid, key);
    set.#current = current;
    return set;
  }

  /** Calls `listener` after every change. Returns a function that unsubscribes. */
  onChange(listener: (change: JwtKeySetChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Never serializes keys. */
  toJSON(): { current: string | undefined; kids: string[] } {
    return { current: this.#current, kids: this.kids() };
  }

  #add(key: VerificationKey | SigningKey, current: boolean): void {
    if (this.#keys.has(key.kid)) throw new JwtKeyError('JWT_KEY_EXISTS', `a key "${key.kid}" is already in this set`);
    if (current && !isSigningKey(key)) throw new JwtKeyError('JWT_KEY_NOT_SIGNING', 'a public key cannot be the signing key');
    this.#keys.set(key.kid, key);
    if (current) this.#makeCurrent(key.kid, this.#current);
    else this.#changed({ type: 'added', kid: key.kid });
  }

  #makeCurrent(kid: string, previous: string | undefined): void {
    this.#current = kid;
    this.#events(securityEvent('token.signing_key.rotated', undefined, { kid, ...(previous === undefined ? {} : { previous }) }));
    this.#changed({ type: 'rotated', kid, previous });
  }

  #changed(change: JwtKeySetChange): void {
    this.#generation += 1;
    for (const listener of this.#listeners) listener(change);
  }
}
