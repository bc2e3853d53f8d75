import { ConfigurationError } from '../errors.js';
import { hmacSha256 } from './hmac.js';
import type { KeyRing } from './keyring.js';

export interface BlindIndexOptions {
  /** Names the column, e.g. `users.email`: each column gets its own key, so equal values in two columns don't link. */
  readonly column: string;
  /** Bytes of HMAC output kept. Fewer bytes mean more false positives but leak less; default 16 (128 bits). */
  readonly bytes?: number;
  /** Applied before hashing so that `Alice@Example.com` and `alice@example.com` match. Default: NFKC, lower-case, trim. */
  readonly normalize?: (value: string) => string;
}

const defaultNormalize = (value: string): string => value.normalize('NFKC').trim().toLowerCase();

/**
 * A blind index: a keyed HMAC-SHA256 of a value, stored beside its encrypted column so that equality search works
 * (`WHERE email_bidx = ?`) without decrypting. It uses a key derived for this column only, separate from the
 * encryption key, so a leaked index neither decrypts anything nor can be brute-forced offline without the key
 * (which a plain SHA-256 of an email could).
 *
 * Equality of indexes still reveals equality of values within a column; that is the price of searching.
 */
export class BlindIndex {
  readonly #ring: KeyRing;
  readonly #purpose: string;
  readonly #bytes: number;
  readonly #normalize: (value: string) => string;

  constructor(ring: KeyRing, options: BlindIndexOptions) {
    const bytes = options.bytes ?? 16;
    if (!Number.isInteger(bytes) || bytes < 8 || bytes > 32) throw new ConfigurationError('blind index bytes must be between 8 and 32');
    if (options.column.length === 0) throw new ConfigurationError('blind index needs a column name');
    this.#ring = ring;
    this.#purpose = `blind-index/v1/${options.column}`;
    this.#bytes = bytes;
    this.#normalize = options.normalize ?? defaultNormalize;
  }

  /** The index of `value` under the active key: what to store and what to search for. */
  compute(value: string): string {
    return this.#compute(value, this.#ring.active.kid);
  }

  /**
   * The index of `value` under every key still in the ring, active first: during a rotation, search for any of them
   * (`WHERE email_bidx IN (…)`) until every row has been re-indexed.
   */
  candidates(value: string): string[] {
    const active = this.#ring.active.kid;
    return [active, ...this.#ring.kids().filter((kid) => kid !== active)].map((kid) => this.#compute(value, kid));
  }

  #compute(value: string, kid: string): string {
    return hmacSha256(this.#ring.subkey(this.#purpose, kid), this.#normalize(value)).subarray(0, this.#bytes).toString('base64url');
  }
}
