import { systemClock, type Clock } from '@rampart/core';
import type { StoredWebAuthnChallenge, WebAuthnCeremonyKind, WebAuthnChallengeStore } from '@rampart/core/mfa';
import { affected, int64, type StoreDatabase } from './sql.js';

/** Options of {@link SqlWebAuthnChallengeStore}. */
export interface SqlWebAuthnChallengeStoreOptions {
  /** Decides which pending ceremonies have expired and are swept. Default: the system clock. */
  readonly clock?: Clock;
}

const KINDS: ReadonlySet<string> = new Set<WebAuthnCeremonyKind>(['registration', 'authentication']);

/**
 * {@link WebAuthnChallengeStore} on the server's database (SQLite or PostgreSQL): a ceremony started on one server
 * process can finish on another, and survives a restart.
 *
 * Protects against challenge replay (WebAuthn L3 §13.4.3): `take` is one `DELETE … WHERE ceremony_id = ? RETURNING`,
 * so of concurrent takes of one ceremony from any number of connections exactly one receives the record, the others
 * find nothing. Expired ceremonies are swept on `put`, so abandoned ones do not pile up.
 */
export class SqlWebAuthnChallengeStore implements WebAuthnChallengeStore {
  readonly #store: StoreDatabase;
  readonly #clock: Clock;

  constructor(store: StoreDatabase, options: SqlWebAuthnChallengeStoreOptions = {}) {
    this.#store = store;
    this.#clock = options.clock ?? systemClock;
  }

  async put(ceremonyId: string, record: StoredWebAuthnChallenge): Promise<void> {
    await this.deleteExpired(this.#clock.now());
    const values = { kind: record.kind, challenge: record.challenge, user_id: record.userId ?? null, expires_at: record.expiresAt };
    await this.#store.db
      .insertInto('rampart_webauthn_challenges')
      .values({ ceremony_id: ceremonyId, ...values })
      .onConflict((c) => c.column('ceremony_id').doUpdateSet(values))
      .execute();
  }

  async take(ceremonyId: string): Promise<StoredWebAuthnChallenge | undefined> {
    const row = await this.#store.db.deleteFrom('rampart_webauthn_challenges').where('ceremony_id', '=', ceremonyId).returningAll().executeTakeFirst();
    // A kind this version does not know completes no ceremony.
    if (row === undefined || !KINDS.has(row.kind)) return undefined;
    return {
      kind: row.kind as WebAuthnCeremonyKind,
      challenge: row.challenge,
      ...(row.user_id === null ? {} : { userId: row.user_id }),
      expiresAt: int64(row.expires_at),
    };
  }

  /** Deletes ceremonies whose `expiresAt` has passed; returns how many. `put` calls it; housekeeping may too. */
  async deleteExpired(now: number): Promise<number> {
    const result = await this.#store.db.deleteFrom('rampart_webauthn_challenges').where('expires_at', '<=', now).executeTakeFirst();
    return affected(result.numDeletedRows);
  }
}
