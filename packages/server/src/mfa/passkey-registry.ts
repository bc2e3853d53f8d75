import type { Kysely } from 'kysely';
import { prepared } from '../db/prepared.js';
import type { RampartDatabase } from '../db/schema.js';
import { affected, int64, optionalInt64 } from '../stores/sql.js';
import type { MfaEvents } from './events.js';

// Counted at every password login (does the account need a second step?).
const flagsOf = prepared((db: Kysely<RampartDatabase>, args: { userId: string }) =>
  db.selectFrom('rampart_webauthn_credentials').select('flagged_reason').where('user_id', '=', args.userId),
);

/** A passkey as the owner sees it: no public key, no counter, no AAGUID. */
export interface PasskeySummary {
  readonly id: string;
  readonly name: string | null;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  /** Disabled after a signature-counter regression (a possibly cloned authenticator): it signs nobody in. */
  readonly disabled: boolean;
}

/**
 * The registered passkeys of each account, read and removed straight from the database — without the WebAuthn
 * relying party, so they are still counted (and removable) when the public URL cannot run ceremonies: an account that
 * enrolled a passkey keeps requiring a second factor whatever the server's address.
 *
 * Protects against IDOR: every read and delete names the owner, so another user's credential id is "not found".
 */
export class PasskeyRegistry {
  readonly #db: Kysely<RampartDatabase>;
  readonly #events: MfaEvents;

  constructor(db: Kysely<RampartDatabase>, events: MfaEvents) {
    this.#db = db;
    this.#events = events;
  }

  /** The user's passkeys, oldest first. */
  async list(userId: string): Promise<PasskeySummary[]> {
    const rows = await this.#db
      .selectFrom('rampart_webauthn_credentials as c')
      .leftJoin('rampart_mfa_passkey_names as n', 'n.credential_id', 'c.id')
      .select(['c.id', 'n.name', 'c.created_at', 'c.last_used_at', 'c.flagged_reason'])
      .where('c.user_id', '=', userId)
      .orderBy('c.created_at')
      .orderBy('c.id')
      .execute();
    return rows.map((row) => {
      const lastUsed = optionalInt64(row.last_used_at);
      return {
        id: row.id,
        name: row.name ?? null,
        createdAt: new Date(int64(row.created_at)).toISOString(),
        lastUsedAt: lastUsed === undefined ? null : new Date(lastUsed).toISOString(),
        disabled: row.flagged_reason !== null,
      };
    });
  }

  /** How many passkeys the user has, and how many of them are disabled. */
  async count(userId: string): Promise<{ readonly total: number; readonly disabled: number }> {
    const rows = await flagsOf.all(this.#db, { userId });
    return { total: rows.length, disabled: rows.filter((row) => row.flagged_reason !== null).length };
  }

  /** Records what the user calls a credential they just registered. */
  async name(userId: string, credentialId: string, name: string | null): Promise<void> {
    await this.#db.insertInto('rampart_mfa_passkey_names').values({ credential_id: credentialId, user_id: userId, name }).execute();
  }

  /**
   * Removes the user's passkey `credentialId`. The delete names the owner, so another user's id removes nothing and
   * reads as unknown (no IDOR, no existence oracle). Returns whether one was removed.
   */
  async remove(userId: string, credentialId: string): Promise<boolean> {
    const removed = await this.#db.transaction().execute(async (trx) => {
      const deleted = await trx.deleteFrom('rampart_webauthn_credentials').where('id', '=', credentialId).where('user_id', '=', userId).executeTakeFirst();
      if (affected(deleted.numDeletedRows) !== 1) return false;
      await trx.deleteFrom('rampart_mfa_passkey_names').where('credential_id', '=', credentialId).where('user_id', '=', userId).execute();
      return true;
    });
    if (removed) this.#events('mfa.webauthn.removed', userId, { credentialId });
    return removed;
  }
}
