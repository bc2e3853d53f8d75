import { ConfigurationError } from '../../errors.js';
import { discardEvents, securityEvent, type SecurityEventSink } from '../../events.js';
import { hmacSha256 } from '../../crypto/hmac.js';
import type { KeyRing } from '../../crypto/keyring.js';
import { fail, ok, type Result } from '../../result.js';
import { formatBackupCode, generateBackupCode, normalizeBackupCode } from './format.js';
import type { BackupCodeStore, StoredBackupCode } from './store.js';

/** HKDF purpose of the pepper subkey; versioned so that a change of hashing scheme can coexist with old sets. */
const PEPPER_PURPOSE = 'mfa/backup-codes/v1';

/** Codes per set, as most services issue: enough for years of occasional recovery. */
export const DEFAULT_BACKUP_CODE_COUNT = 10;
const MAX_BACKUP_CODE_COUNT = 50;

/** `malformed`: not a backup code at all. `invalid`: not one of the subject's unused codes (wrong, used, or replaced). */
export type BackupCodeFailure = 'malformed' | 'invalid';

/** Configuration of {@link BackupCodes}. */
export interface BackupCodesOptions {
  /** Source of the pepper: an HKDF subkey of the active key hashes new sets; older keys still verify until retired. */
  readonly keyRing: KeyRing;
  /** Where the hashed codes live. */
  readonly store: BackupCodeStore;
  /** Codes per set. Default 10; 1–50. */
  readonly count?: number;
  /** Receives `mfa.backup_codes.regenerated` and `mfa.backup_code.used`. */
  readonly events?: SecurityEventSink;
}

/**
 * Single-use recovery codes for when the second factor is lost.
 *
 * Protects against:
 * - **guessing**: 50 random bits per code from `node:crypto`;
 * - **reuse**: a code is removed atomically as it is consumed, so a replayed or raced code fails;
 * - **a database leak**: codes are stored as HMAC-SHA256 under a pepper derived from the key ring, which lives outside
 *   the database; without that key the hashes cannot even be brute-forced offline;
 * - **stale sets**: regeneration replaces the whole set atomically, so old codes (e.g. a printout that went missing)
 *   die with it;
 * - **hostile input**: consumption never throws on the code; it returns a typed failure.
 *
 * Callers must still rate-limit consumption per account, as for any second factor.
 */
export class BackupCodes {
  readonly #ring: KeyRing;
  readonly #store: BackupCodeStore;
  readonly #count: number;
  readonly #events: SecurityEventSink;

  constructor(options: BackupCodesOptions) {
    const count = options.count ?? DEFAULT_BACKUP_CODE_COUNT;
    if (!Number.isInteger(count) || count < 1 || count > MAX_BACKUP_CODE_COUNT) {
      throw new ConfigurationError(`backup code count must be 1-${MAX_BACKUP_CODE_COUNT}`);
    }
    if (typeof options.store !== 'object' || typeof options.store.consume !== 'function') {
      throw new ConfigurationError('backup codes need a store (MemoryBackupCodeStore for a single process)');
    }
    if (typeof options.keyRing !== 'object' || typeof options.keyRing.subkey !== 'function') {
      throw new ConfigurationError('backup codes need a keyRing for the pepper');
    }
    this.#ring = options.keyRing;
    this.#store = options.store;
    this.#count = count;
    this.#events = options.events ?? discardEvents;
  }

  /**
   * Creates a new set for `subject`, replacing (and so invalidating) every code of the previous set. Returns the codes
   * formatted `xxxxx-xxxxx`, to show the user once; only their hashes are kept.
   */
  async regenerate(subject: string): Promise<string[]> {
    checkSubject(subject);
    const codes = new Set<string>();
    while (codes.size < this.#count) codes.add(generateBackupCode());
    const { kid } = this.#ring.active;
    await this.#store.replace(subject, [...codes].map((code) => this.#hash(subject, code, kid)));
    this.#events(securityEvent('mfa.backup_codes.regenerated', subject, { count: this.#count }));
    return [...codes].map(formatBackupCode);
  }

  /**
   * Consumes one backup code of `subject`: on success the code is gone for good and the value says how many remain
   * (prompt the user to regenerate when it is low).
   *
   * Never throws on `code`; rejects only when the store fails (fail closed).
   */
  async consume(subject: string, code: unknown): Promise<Result<{ remaining: number }, BackupCodeFailure>> {
    checkSubject(subject);
    const canonical = normalizeBackupCode(code);
    if (canonical === undefined) return fail('malformed');
    // A set is hashed under the kid that was active when it was made; try every kid still in the ring, so a rotation
    // does not kill existing codes (retiring that kid does).
    const candidates = this.#ring.kids().map((kid) => this.#hash(subject, canonical, kid));
    const remaining = await this.#store.consume(subject, candidates);
    if (remaining === undefined) return fail('invalid');
    this.#events(securityEvent('mfa.backup_code.used', subject, { remaining }));
    return ok({ remaining });
  }

  /** How many unused codes `subject` has left. */
  remaining(subject: string): Promise<number> {
    checkSubject(subject);
    return this.#store.count(subject);
  }

  /*
   * HMAC over an injective encoding of (subject, code): binding the subject means a hash copied to another account's
   * row is useless there, and equal codes of two accounts hash differently.
   */
  #hash(subject: string, canonical: string, kid: string): StoredBackupCode {
    const hash = hmacSha256(this.#ring.subkey(PEPPER_PURPOSE, kid), JSON.stringify([subject, canonical])).toString('base64url');
    return { kid, hash };
  }
}

function checkSubject(subject: string): void {
  if (typeof subject !== 'string' || subject === '') throw new ConfigurationError('backup codes need a subject');
}
