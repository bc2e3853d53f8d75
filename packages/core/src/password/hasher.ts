import { randomBytes } from 'node:crypto';
import { constantTimeEqual } from '../crypto/compare.js';
import { hmacSha256 } from '../crypto/hmac.js';
import type { KeyRing } from '../crypto/keyring.js';
import { ConfigurationError } from '../errors.js';
import { discardEvents, securityEvent, type SecurityEventSink } from '../events.js';
import { fail, ok, type Failure, type Result } from '../result.js';
import { Bulkhead } from './bulkhead.js';
import { nodeHashingEngine, type PasswordHashingEngine } from './engine.js';
import { PasswordHasherBusyError, PasswordInputError, type PasswordInputProblem } from './errors.js';
import { parseStoredHash, PEPPER_PREFIX, type HashFormatProblem, type ParsedArgon2, type ParsedHash, type VerifyLimits } from './formats.js';
import { DEFAULT_MAX_PASSWORD_BYTES, MIN_MAX_PASSWORD_BYTES, normalizePassword } from './input.js';

/** OWASP Password Storage Cheat Sheet: Argon2id, 19 MiB, 2 passes, 1 lane. */
export const OWASP_ARGON2ID = Object.freeze({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });

/** The HKDF purpose under which the pepper is derived from the key ring: `ring.subkey(PEPPER_PURPOSE, kid)`. */
export const PEPPER_PURPOSE = 'password-pepper';

/** Below OWASP's weakest listed Argon2id setting (m = 7 MiB with t = 5; m × t ≥ 35840) a config needs `allowWeakParameters`. */
const MIN_MEMORY_COST = 7_168;
const MIN_MEMORY_TIME_PRODUCT = 35_840;

export interface PasswordHasherOptions {
  /** Argon2id memory, KiB. Default 19456 (19 MiB, OWASP). */
  readonly memoryCost?: number;
  /** Argon2id passes. Default 2 (OWASP). */
  readonly timeCost?: number;
  /** Argon2id lanes. Default 1 (OWASP). */
  readonly parallelism?: number;
  /** Output length, bytes. Default 32. */
  readonly hashLength?: number;
  /** Random salt length, bytes. Default 16. */
  readonly saltLength?: number;
  /**
   * Accepts memory and time costs below OWASP's weakest listed Argon2id setting (m ≥ 7168 KiB and m × t ≥ 35840).
   * For tests only: a weak hash is what an offline attacker wants.
   */
  readonly allowWeakParameters?: boolean;
  /** Passwords longer than this many UTF-8 bytes are refused before hashing. Default 1024, at least 256. */
  readonly maxBytes?: number;
  /**
   * A key ring for the pepper: when set, Argon2id runs over HMAC-SHA256(ring.subkey('password-pepper', kid), password)
   * and the hash records the kid (see the README). Rotating the ring makes {@link PasswordHasher.needsRehash} report old
   * hashes; retiring a kid makes the hashes still under it unverifiable.
   */
  readonly pepper?: KeyRing;
  /** Hashes and verifies running at once. Default `os.availableParallelism()`. */
  readonly concurrency?: number;
  /** Hashes and verifies allowed to wait; beyond that they are refused with {@link PasswordHasherBusyError}. Default 8 × concurrency. */
  readonly queue?: number;
  /** Bounds on the parameters of stored hashes (see {@link VerifyLimits}); beyond them verify answers `unsupported_hash`. */
  readonly limits?: Partial<VerifyLimits>;
  /** The hash functions. Default `@node-rs/argon2`, `@node-rs/bcrypt`, `node:crypto`. Tests inject counters. */
  readonly engine?: PasswordHashingEngine;
  /** Receives `password.rehashed` and `password.hasher_busy`. */
  readonly events?: SecurityEventSink;
}

/** The settings a hasher computes new hashes with. */
export interface PasswordHashParameters {
  readonly algorithm: 'argon2id';
  readonly version: 19;
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
  readonly hashLength: number;
  readonly saltLength: number;
  readonly maxBytes: number;
  /** Whether a pepper is configured (never the key). */
  readonly peppered: boolean;
}

/**
 * Why a verification failed. `unknown_user` and `mismatch` must produce the same response to a client (and the same
 * time, which the hasher guarantees): telling them apart is user enumeration.
 */
export type VerifyFailureReason =
  | 'mismatch'
  | 'unknown_user'
  | HashFormatProblem
  | 'pepper_key_unavailable'
  | PasswordInputProblem;

/** On success, `rehash` is a new hash to store in place of the old one when the old one was outdated. */
export interface VerifySuccess {
  readonly rehash?: string;
}

export type VerifyResult = Result<VerifySuccess, VerifyFailureReason>;

export interface PasswordHasher {
  readonly parameters: PasswordHashParameters;
  /** The hashing bulkhead, for metrics (`active`, `queued`). */
  readonly bulkhead: Bulkhead;
  /**
   * Hashes a password with Argon2id and returns the string to store. Rejects with {@link PasswordInputError} for input
   * that must not be hashed (over the byte bound, empty, not a well-formed string) and with
   * {@link PasswordHasherBusyError} when the bulkhead is full. It does not apply the strength policy: check that first.
   */
  hash(password: string): Promise<string>;
  /**
   * Checks `password` against a stored hash (Argon2, peppered Argon2, or a legacy bcrypt/scrypt/PBKDF2 string).
   * `null` or `undefined` means "no such user": a real Argon2 verify still runs, then `unknown_user` comes back.
   * Never rejects on any input; rejects only with {@link PasswordHasherBusyError} under overload.
   */
  verify(stored: unknown, password: unknown): Promise<VerifyResult>;
  /** The cost of a real verify, for a login whose account does not exist. Always fails (`unknown_user` or an input problem). */
  verifyUnknownUser(password: unknown): Promise<Failure<'unknown_user' | PasswordInputProblem>>;
  /** Whether `stored` is anything but an Argon2id v1.3 hash at least as strong as the current settings, under the current pepper kid. */
  needsRehash(stored: unknown): boolean;
}

function integer(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`password hasher: ${name} must be an integer between ${min} and ${max}`);
  }
  return value;
}

type Check = true | 'mismatch' | 'malformed_hash' | 'pepper_key_unavailable';

class Argon2idPasswordHasher implements PasswordHasher {
  readonly parameters: PasswordHashParameters;
  readonly bulkhead: Bulkhead;
  readonly #limits: VerifyLimits;
  readonly #pepper: KeyRing | undefined;
  readonly #engine: PasswordHashingEngine;
  readonly #events: SecurityEventSink;
  /** Argon2id PHC string of a random secret at the current parameters, made on the first unknown-user verify. */
  #dummy: Promise<string> | undefined;

  constructor(options: PasswordHasherOptions) {
    const parallelism = integer('parallelism', options.parallelism ?? OWASP_ARGON2ID.parallelism, 1, 255);
    const memoryCost = integer('memoryCost', options.memoryCost ?? OWASP_ARGON2ID.memoryCost, 8 * parallelism, 2 ** 32 - 1);
    const timeCost = integer('timeCost', options.timeCost ?? OWASP_ARGON2ID.timeCost, 1, 2 ** 32 - 1);
    if (options.allowWeakParameters !== true && (memoryCost < MIN_MEMORY_COST || memoryCost * timeCost < MIN_MEMORY_TIME_PRODUCT)) {
      throw new ConfigurationError(
        `password hasher: m=${memoryCost} KiB, t=${timeCost} is below OWASP's weakest Argon2id setting (m ≥ ${MIN_MEMORY_COST}, m × t ≥ ${MIN_MEMORY_TIME_PRODUCT}); pass allowWeakParameters: true only in tests`,
      );
    }
    this.parameters = Object.freeze({
      algorithm: 'argon2id',
      version: 19,
      memoryCost,
      timeCost,
      parallelism,
      hashLength: integer('hashLength', options.hashLength ?? 32, 16, 64),
      saltLength: integer('saltLength', options.saltLength ?? 16, 16, 48),
      maxBytes: integer('maxBytes', options.maxBytes ?? DEFAULT_MAX_PASSWORD_BYTES, MIN_MAX_PASSWORD_BYTES, 65_536),
      peppered: options.pepper !== undefined,
    });
    const limits = options.limits ?? {};
    this.#limits = {
      maxArgon2MemoryCost: limits.maxArgon2MemoryCost ?? Math.max(262_144, memoryCost),
      maxArgon2TimeCost: limits.maxArgon2TimeCost ?? Math.max(32, timeCost),
      maxArgon2Parallelism: limits.maxArgon2Parallelism ?? Math.max(16, parallelism),
      maxBcryptCost: limits.maxBcryptCost ?? 16,
      maxScryptMemoryBytes: limits.maxScryptMemoryBytes ?? 256 * 1024 * 1024,
      maxScryptParallelism: limits.maxScryptParallelism ?? 16,
      maxPbkdf2Iterations: limits.maxPbkdf2Iterations ?? 5_000_000,
    };
    this.#pepper = options.pepper;
    this.#engine = options.engine ?? nodeHashingEngine;
    const events = options.events ?? discardEvents;
    this.#events = events;
    this.bulkhead = new Bulkhead({
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.queue === undefined ? {} : { queue: options.queue }),
      createError: (seconds) => new PasswordHasherBusyError(seconds),
      onReject: ({ active, queued }) => {
        events(securityEvent('password.hasher_busy', undefined, { active, queued }));
      },
    });
  }

  async hash(password: string): Promise<string> {
    const input = normalizePassword(password, this.parameters.maxBytes);
    if (!input.ok) throw new PasswordInputError(input.reason, this.parameters.maxBytes);
    return this.bulkhead.run(() => this.#hash(input.value));
  }

  async verify(stored: unknown, password: unknown): Promise<VerifyResult> {
    const input = normalizePassword(password, this.parameters.maxBytes);
    if (!input.ok) return input;
    const normalized = input.value;
    if (stored === null || stored === undefined) return this.#verifyUnknown(normalized);
    const parsed = parseStoredHash(stored, this.#limits);
    if (!parsed.ok) {
      // A broken row costs what a real verify costs, so it cannot be told apart from a wrong password by timing.
      await this.bulkhead.run(() => this.#dummyVerify(normalized));
      return parsed;
    }
    const raw = password as string;
    return this.bulkhead.run(async (): Promise<VerifyResult> => {
      const outcome = await this.#check(parsed.value, normalized, raw);
      if (outcome !== true) return fail(outcome);
      if (!this.needsRehash(stored)) return ok({});
      const rehash = await this.#hash(normalized);
      this.#events(securityEvent('password.rehashed', undefined, { from: describe(parsed.value) }));
      return ok({ rehash });
    });
  }

  async verifyUnknownUser(password: unknown): Promise<Failure<'unknown_user' | PasswordInputProblem>> {
    const input = normalizePassword(password, this.parameters.maxBytes);
    if (!input.ok) return input;
    return this.#verifyUnknown(input.value);
  }

  needsRehash(stored: unknown): boolean {
    const parsed = parseStoredHash(stored, this.#limits);
    if (!parsed.ok || parsed.value.kind !== 'argon2') return true;
    const hash = parsed.value;
    const p = this.parameters;
    if (hash.variant !== 'argon2id' || hash.version !== 19) return true;
    if (hash.memoryCost < p.memoryCost || hash.timeCost < p.timeCost || hash.parallelism !== p.parallelism) return true;
    if (hash.hashBytes < p.hashLength || hash.saltBytes < p.saltLength) return true;
    return this.#pepper === undefined ? hash.pepperKid !== undefined : hash.pepperKid !== this.#pepper.active.kid;
  }

  async #verifyUnknown(normalized: string): Promise<Failure<'unknown_user'>> {
    await this.bulkhead.run(() => this.#dummyVerify(normalized));
    return fail('unknown_user');
  }

  /** Runs inside a bulkhead slot: never calls the bulkhead itself (a nested `run` could wait on its own slot). */
  async #hash(normalized: string): Promise<string> {
    const p = this.parameters;
    const parameters = {
      memoryCost: p.memoryCost,
      timeCost: p.timeCost,
      parallelism: p.parallelism,
      outputLen: p.hashLength,
      salt: randomBytes(p.saltLength),
    };
    if (this.#pepper === undefined) return this.#engine.argon2Hash(Buffer.from(normalized, 'utf8'), parameters);
    const kid = this.#pepper.active.kid;
    return `${PEPPER_PREFIX}${kid}${await this.#engine.argon2Hash(this.#peppered(kid, normalized), parameters)}`;
  }

  /**
   * What Argon2id hashes when a pepper is set: base64url(HMAC-SHA256(ring.subkey('password-pepper', kid), NFKC(password))),
   * 43 ASCII bytes. Text, not the 32 raw bytes, because @node-rs/argon2 reads a password as UTF-8 and refuses
   * (throws on) byte strings that are not valid UTF-8.
   */
  #peppered(kid: string, normalized: string): Buffer {
    const key = (this.#pepper as KeyRing).subkey(PEPPER_PURPOSE, kid);
    return Buffer.from(hmacSha256(key, normalized).toString('base64url'), 'ascii');
  }

  /** One Argon2id verify at the current parameters (and one HMAC when peppered), whose answer is thrown away. */
  async #dummyVerify(normalized: string): Promise<void> {
    this.#dummy ??= this.#hash(randomBytes(32).toString('base64url')).then(
      (hash) => (hash.startsWith(PEPPER_PREFIX) ? hash.slice(hash.indexOf('$', PEPPER_PREFIX.length)) : hash),
      (error: unknown) => {
        this.#dummy = undefined;
        throw error;
      },
    );
    const dummy = await this.#dummy;
    const input = this.#pepper === undefined ? Buffer.from(normalized, 'utf8') : this.#peppered(this.#pepper.active.kid, normalized);
    await this.#engine.argon2Verify(dummy, input).catch(() => false);
  }

  async #check(hash: ParsedHash, normalized: string, raw: string): Promise<Check> {
    switch (hash.kind) {
      case 'argon2':
        return this.#checkArgon2(hash, normalized);
      case 'bcrypt':
        return this.#checkLegacy(normalized, raw, (candidate) => this.#engine.bcryptVerify(candidate, hash.encoded));
      case 'scrypt': {
        const N = 2 ** hash.log2N;
        const r = hash.blockSize;
        const p = hash.parallelism;
        const maxmem = 128 * N * r + 128 * r * p + 1024 * 1024;
        return this.#checkLegacy(normalized, raw, async (candidate) =>
          constantTimeEqual(await this.#engine.scrypt(candidate, hash.salt, hash.hash.length, { N, r, p, maxmem }), hash.hash),
        );
      }
      case 'pbkdf2-sha256':
        return this.#checkLegacy(normalized, raw, async (candidate) =>
          constantTimeEqual(await this.#engine.pbkdf2Sha256(candidate, hash.salt, hash.iterations, hash.hash.length), hash.hash),
        );
    }
  }

  async #checkArgon2(hash: ParsedArgon2, normalized: string): Promise<Check> {
    let input: Uint8Array;
    if (hash.pepperKid === undefined) {
      input = Buffer.from(normalized, 'utf8');
    } else if (this.#pepper?.get(hash.pepperKid) === undefined) {
      await this.#dummyVerify(normalized);
      return 'pepper_key_unavailable';
    } else {
      input = this.#peppered(hash.pepperKid, normalized);
    }
    try {
      return (await this.#engine.argon2Verify(hash.phc, input)) ? true : 'mismatch';
    } catch {
      return 'malformed_hash';
    }
  }

  /**
   * Legacy systems hashed whatever bytes they received, usually without normalizing: the NFKC form is tried first, then
   * the password as typed if that differs (at most two computations, only for non-NFKC input, only for legacy hashes).
   */
  async #checkLegacy(normalized: string, raw: string, verify: (candidate: Buffer) => Promise<boolean>): Promise<Check> {
    const candidates = raw === normalized ? [normalized] : [normalized, raw];
    try {
      for (const candidate of candidates) if (await verify(Buffer.from(candidate, 'utf8'))) return true;
      return 'mismatch';
    } catch {
      return 'malformed_hash';
    }
  }
}

function describe(hash: ParsedHash): string {
  if (hash.kind !== 'argon2') return hash.kind;
  return hash.pepperKid === undefined ? hash.variant : `${hash.variant}+pepper`;
}

/**
 * Creates a password hasher: Argon2id with OWASP's parameters by default, PHC strings, optional pepper from a key ring,
 * legacy bcrypt/scrypt/PBKDF2 verification with upgrade on login, unknown-user verification at equal cost, and a
 * bulkhead that refuses floods instead of queueing them without bound.
 */
export function createPasswordHasher(options: PasswordHasherOptions = {}): PasswordHasher {
  return new Argon2idPasswordHasher(options);
}
