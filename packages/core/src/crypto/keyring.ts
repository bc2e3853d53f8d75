import { createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ConfigurationError, RampartError } from '../errors.js';
import { discardEvents, securityEvent, type SecurityEventSink } from '../events.js';

/** Keys shorter than this are refused: 256 bits, the security level of AES-256 and HMAC-SHA256. */
export const MIN_KEY_BYTES = 32;

const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Thrown when a key ring is asked for a key it does not hold, or asked to do something that would lose data. */
export class KeyRingError extends RampartError {}

/** One versioned key of a ring. The secret is a `KeyObject`, so it never appears in logs or JSON by accident. */
export interface RingKey {
  /** Key id: names the key inside ciphertexts, tokens and MACs so that rotation never guesses. */
  readonly kid: string;
  /** Monotonic version within the ring; the highest one is not necessarily active. */
  readonly version: number;
  readonly secret: KeyObject;
}

/** The persisted form of a ring: what {@link KeyRing.fromEnv} and {@link KeyRing.fromFile} read. */
export interface KeyRingDocument {
  /** The kid of the key that signs and encrypts. */
  readonly active: string;
  /** kid → secret, base64url (or standard base64), at least 32 bytes once decoded. Order gives the versions. */
  readonly keys: Readonly<Record<string, string>>;
}

export interface KeyRingOptions {
  /** Prefix for generated kids (`<name>-<version>`). Default `k`. */
  readonly name?: string;
  /** Receives `keyring.rotated` and `keyring.retired`. */
  readonly events?: SecurityEventSink;
}

export type KeyRingChange = { readonly type: 'rotated'; readonly kid: string } | { readonly type: 'retired'; readonly kid: string };

function decodeSecret(kid: string, encoded: string | Uint8Array): Buffer {
  const bytes = typeof encoded === 'string' ? Buffer.from(encoded, encoded.includes('+') || encoded.includes('/') ? 'base64' : 'base64url') : Buffer.from(encoded);
  if (bytes.length < MIN_KEY_BYTES) {
    throw new ConfigurationError(`key "${kid}" has ${bytes.length * 8} bits; at least ${MIN_KEY_BYTES * 8} are required`);
  }
  return bytes;
}

function checkKid(kid: string): void {
  if (!KID_PATTERN.test(kid)) {
    throw new ConfigurationError('a kid must be 1-64 characters of A-Z, a-z, 0-9, "_" or "-"');
  }
}

/**
 * A named set of versioned symmetric keys: one active key signs and encrypts, older keys still verify and decrypt until
 * they are retired.
 *
 * Protects against the two ways key management usually fails: keys too short to resist brute force (refused below
 * 256 bits), and rotation that breaks existing data (every ciphertext and MAC names its kid, so old data keeps
 * decrypting while new data uses the new key). Purpose-bound subkeys ({@link KeyRing.subkey}, HKDF-SHA256) keep one
 * master ring from reusing the same bytes for encryption, MACs and pepper.
 */
export class KeyRing {
  readonly #keys = new Map<string, RingKey>();
  readonly #subkeys = new Map<string, KeyObject>();
  readonly #listeners = new Set<(change: KeyRingChange) => void>();
  readonly #name: string;
  readonly #events: SecurityEventSink;
  #activeKid: string;

  private constructor(document: KeyRingDocument, options: KeyRingOptions) {
    this.#name = options.name ?? 'k';
    checkKid(this.#name);
    this.#events = options.events ?? discardEvents;
    let version = 0;
    for (const [kid, encoded] of Object.entries(document.keys)) {
      checkKid(kid);
      version += 1;
      this.#keys.set(kid, { kid, version, secret: createSecretKey(decodeSecret(kid, encoded)) });
    }
    if (!this.#keys.has(document.active)) {
      throw new ConfigurationError(`the active kid "${document.active}" is not in the ring`);
    }
    this.#activeKid = document.active;
  }

  /** Builds a ring from a document (see {@link KeyRingDocument}). */
  static fromDocument(document: KeyRingDocument, options: KeyRingOptions = {}): KeyRing {
    return new KeyRing(document, options);
  }

  /** Creates a ring with one freshly generated 256-bit key. */
  static generate(options: KeyRingOptions = {}): KeyRing {
    const kid = `${options.name ?? 'k'}-1`;
    return new KeyRing({ active: kid, keys: { [kid]: randomBytes(MIN_KEY_BYTES).toString('base64url') } }, options);
  }

  /**
   * Reads a ring from an environment variable holding a {@link KeyRingDocument} as JSON
   * (`RAMPART_KEYRING='{"active":"k-2","keys":{"k-1":"…","k-2":"…"}}'`).
   */
  static fromEnv(variable = 'RAMPART_KEYRING', env: NodeJS.ProcessEnv = process.env, options: KeyRingOptions = {}): KeyRing {
    const raw = env[variable];
    if (raw === undefined || raw === '') throw new ConfigurationError(`environment variable ${variable} is not set`);
    return new KeyRing(parseDocument(raw, variable), options);
  }

  /**
   * Reads a ring from a JSON file. A file that other users can read or write is refused (as OpenSSH does with private
   * keys) unless `allowInsecureFileMode` says otherwise by name.
   */
  static fromFile(path: string, options: KeyRingOptions & { readonly allowInsecureFileMode?: boolean } = {}): KeyRing {
    const mode = statSync(path).mode;
    if ((mode & 0o077) !== 0 && options.allowInsecureFileMode !== true) {
      throw new ConfigurationError(`key file ${path} is accessible by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
    }
    return new KeyRing(parseDocument(readFileSync(path, 'utf8'), path), options);
  }

  /** The key that signs and encrypts now. */
  get active(): RingKey {
    const key = this.#keys.get(this.#activeKid);
    if (key === undefined) throw new KeyRingError('KEY_NOT_FOUND', 'active key missing');
    return key;
  }

  /** The key named `kid`, or `undefined` when it was never in the ring or has been retired. */
  get(kid: string): RingKey | undefined {
    return this.#keys.get(kid);
  }

  /** All kids still in the ring, oldest first. */
  kids(): string[] {
    return [...this.#keys.keys()];
  }

  /**
   * Adds a new key (generated unless given) and makes it active. The previous keys stay for verification and
   * decryption until {@link retire}d.
   */
  rotate(secret?: Uint8Array | string): RingKey {
    const version = Math.max(0, ...[...this.#keys.values()].map((k) => k.version)) + 1;
    let kid = `${this.#name}-${version}`;
    for (let n = version; this.#keys.has(kid); n += 1) kid = `${this.#name}-${n}`;
    const bytes = secret === undefined ? randomBytes(MIN_KEY_BYTES) : decodeSecret(kid, secret);
    const key: RingKey = { kid, version, secret: createSecretKey(bytes) };
    this.#keys.set(kid, key);
    this.#activeKid = kid;
    this.#events(securityEvent('keyring.rotated', undefined, { ring: this.#name, kid }));
    this.#notify({ type: 'rotated', kid });
    return key;
  }

  /**
   * Removes a key: data protected only by it can no longer be read, tokens signed by it no longer verify.
   * Retiring the active key is refused (rotate first), so a ring is never left without a key.
   */
  retire(kid: string): void {
    if (kid === this.#activeKid) throw new KeyRingError('KEY_ACTIVE', 'cannot retire the active key; rotate first');
    if (!this.#keys.delete(kid)) throw new KeyRingError('KEY_NOT_FOUND', `no key "${kid}" in the ring`);
    for (const name of [...this.#subkeys.keys()]) if (name.startsWith(`${kid}\0`)) this.#subkeys.delete(name);
    this.#events(securityEvent('keyring.retired', undefined, { ring: this.#name, kid }));
    this.#notify({ type: 'retired', kid });
  }

  /**
   * A key derived with HKDF-SHA256 (RFC 5869) from the ring key `kid` (default: the active one) for one `purpose`.
   * Different purposes give independent keys, so a MAC key never doubles as an encryption key.
   */
  subkey(purpose: string, kid: string = this.#activeKid): KeyObject {
    const cacheKey = `${kid}\0${purpose}`;
    const cached = this.#subkeys.get(cacheKey);
    if (cached !== undefined) return cached;
    const key = this.#keys.get(kid);
    if (key === undefined) throw new KeyRingError('KEY_NOT_FOUND', `no key "${kid}" in the ring`);
    const derived = createSecretKey(Buffer.from(hkdfSync('sha256', key.secret, Buffer.alloc(0), `rampart/${purpose}`, 32)));
    this.#subkeys.set(cacheKey, derived);
    return derived;
  }

  /** Calls `listener` after every rotation and retirement, so caches that depend on keys can be emptied. */
  onChange(listener: (change: KeyRingChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The secrets, for persisting a rotated ring. Named explicitly so that no `JSON.stringify` exports keys by accident. */
  exportDocument(): KeyRingDocument {
    const keys: Record<string, string> = {};
    for (const key of this.#keys.values()) keys[key.kid] = key.secret.export().toString('base64url');
    return { active: this.#activeKid, keys };
  }

  /** Never serializes secrets. */
  toJSON(): { active: string; kids: string[] } {
    return { active: this.#activeKid, kids: this.kids() };
  }

  #notify(change: KeyRingChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}

function parseDocument(raw: string, source: string): KeyRingDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (cause) {
    throw new ConfigurationError(`${source} is not valid JSON`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null) throw new ConfigurationError(`${source} must be a JSON object`);
  const { active, keys } = parsed as { active?: unknown; keys?: unknown };
  if (typeof active !== 'string' || typeof keys !== 'object' || keys === null || Array.isArray(keys)) {
    throw new ConfigurationError(`${source} must have "active" (a kid) and "keys" (kid → base64url secret)`);
  }
  const entries = Object.entries(keys as Record<string, unknown>);
  for (const [kid, value] of entries) {
    if (typeof value !== 'string') throw new ConfigurationError(`${source}: key "${kid}" must be a base64url string`);
  }
  return { active, keys: Object.fromEntries(entries) as Record<string, string> };
}
