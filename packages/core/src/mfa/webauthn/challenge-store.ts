import { systemClock, type Clock } from '../../clock.js';
import { ConfigurationError } from '../../errors.js';

/** Which ceremony a challenge was issued for; a registration challenge never completes an authentication. */
export type WebAuthnCeremonyKind = 'registration' | 'authentication';

/** What the server remembers about a ceremony between `start…` and `finish…`. Contains no secret. */
export interface StoredWebAuthnChallenge {
  readonly kind: WebAuthnCeremonyKind;
  /** The base64url challenge sent to the client (`options.challenge`). */
  readonly challenge: string;
  /** The user the ceremony was started for; absent for a usernameless (discoverable-credential) login. */
  readonly userId?: string;
  /** Epoch milliseconds after which the challenge is refused. */
  readonly expiresAt: number;
}

/**
 * Port for pending WebAuthn challenges, keyed by an opaque ceremony id.
 *
 * Atomicity contract (what makes a challenge single use, WebAuthn L3 §13.4.3): `take(id)` MUST return the record and
 * delete it in one indivisible step, so that of two concurrent `take` calls for the same id at most one receives the
 * record. An implementation that reads then deletes in two steps lets a captured response be replayed inside the gap.
 * Real implementations: Redis `GETDEL`, SQL `DELETE … RETURNING`, a compare-and-delete in any other store.
 * `put` with an id that already exists may overwrite (ids are 256-bit random, collisions do not happen).
 * Implementations may drop records once `expiresAt` has passed; callers check expiry themselves anyway.
 * A store that cannot be reached must reject (throw), never return `undefined` for a record it could not read — the
 * ceremony then fails closed.
 */
export interface WebAuthnChallengeStore {
  put(ceremonyId: string, record: StoredWebAuthnChallenge): Promise<void>;
  /** Returns the record and deletes it atomically; `undefined` when there is none (unknown, used or dropped). */
  take(ceremonyId: string): Promise<StoredWebAuthnChallenge | undefined>;
}

export interface InMemoryWebAuthnChallengeStoreOptions {
  /** Used only to sweep expired records. Default: the system clock. */
  readonly clock?: Clock;
  /** Upper bound on pending ceremonies, so a flood of `start…` calls cannot exhaust memory. Default 10 000. */
  readonly maxEntries?: number;
}

/**
 * Single-process challenge store. `take` is atomic because JavaScript runs it to completion without yielding between
 * the read and the delete. Protects against challenge replay within one process; for several processes use a shared
 * store with the same contract.
 *
 * Memory is bounded: expired records are swept on `put`, and past `maxEntries` the oldest pending ceremony is
 * dropped (its user restarts the ceremony; no attacker gains anything from a dropped challenge).
 */
export class InMemoryWebAuthnChallengeStore implements WebAuthnChallengeStore {
  readonly #records = new Map<string, StoredWebAuthnChallenge>();
  readonly #clock: Clock;
  readonly #maxEntries: number;

  constructor(options: InMemoryWebAuthnChallengeStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new ConfigurationError('InMemoryWebAuthnChallengeStore maxEntries must be a positive integer');
    }
    this.#clock = options.clock ?? systemClock;
    this.#maxEntries = maxEntries;
  }

  /** Number of pending ceremonies (for tests and metrics). */
  get size(): number {
    return this.#records.size;
  }

  put(ceremonyId: string, record: StoredWebAuthnChallenge): Promise<void> {
    this.#sweep();
    this.#records.delete(ceremonyId);
    while (this.#records.size >= this.#maxEntries) {
      const oldest = this.#records.keys().next();
      if (oldest.done === true) break;
      this.#records.delete(oldest.value);
    }
    this.#records.set(ceremonyId, { ...record });
    return Promise.resolve();
  }

  take(ceremonyId: string): Promise<StoredWebAuthnChallenge | undefined> {
    const record = this.#records.get(ceremonyId);
    this.#records.delete(ceremonyId);
    return Promise.resolve(record);
  }

  #sweep(): void {
    // Records are inserted in (roughly) expiry order, so sweeping stops at the first live one: O(expired), not O(n).
    const now = this.#clock.now();
    for (const [id, record] of this.#records) {
      if (record.expiresAt > now) break;
      this.#records.delete(id);
    }
  }
}
