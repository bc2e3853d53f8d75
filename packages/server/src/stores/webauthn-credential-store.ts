import type {
  StoredWebAuthnCredential,
  WebAuthnCredentialFlagReason,
  WebAuthnCredentialStore,
  WebAuthnCredentialUse,
} from '@rampart/core/mfa';
import type { Selectable } from 'kysely';
import type { CoreStoreTables } from '../db/schema.js';
import { affected, int64, optionalInt64, type StoreDatabase } from './sql.js';

type CredentialRow = Selectable<CoreStoreTables['rampart_webauthn_credentials']>;

const FLAG_REASONS: ReadonlySet<string> = new Set<WebAuthnCredentialFlagReason>(['counter_regression']);

function toCredential(row: CredentialRow): StoredWebAuthnCredential {
  const lastUsedAt = optionalInt64(row.last_used_at);
  const flaggedAt = optionalInt64(row.flagged_at);
  // An unknown stored reason still disables the credential: it is never read as "not flagged".
  const reason = (row.flagged_reason !== null && FLAG_REASONS.has(row.flagged_reason) ? row.flagged_reason : 'counter_regression') as WebAuthnCredentialFlagReason;
  return {
    id: row.id,
    userId: row.user_id,
    publicKey: new Uint8Array(Buffer.from(row.public_key, 'base64url')),
    counter: int64(row.counter),
    transports: JSON.parse(row.transports) as StoredWebAuthnCredential['transports'],
    deviceType: row.device_type as StoredWebAuthnCredential['deviceType'],
    backedUp: row.backed_up === 1,
    aaguid: row.aaguid,
    createdAt: new Date(int64(row.created_at)),
    ...(lastUsedAt === undefined ? {} : { lastUsedAt: new Date(lastUsedAt) }),
    ...(row.flagged_reason === null ? {} : { flagged: { reason, at: new Date(flaggedAt ?? 0) } }),
  };
}

/**
 * {@link WebAuthnCredentialStore} on the server's database (SQLite or PostgreSQL), shared by every server process.
 * Holds public keys only.
 *
 * Protects against one authenticator credential attached to two accounts (WebAuthn L3 §7.1 step 26): `create` is
 * `INSERT … ON CONFLICT DO NOTHING` on the credential id's primary key, so of two concurrent registrations of one id
 * exactly one inserts. Protects against cloned authenticators racing: `recordUse` is the compare-and-set
 * `UPDATE … WHERE id = ? AND counter = ? AND flagged_reason IS NULL`, decided by its row count, so two assertions
 * with the same counter never both pass, and a flagged credential is never used again.
 */
export class SqlWebAuthnCredentialStore implements WebAuthnCredentialStore {
  readonly #store: StoreDatabase;

  constructor(store: StoreDatabase) {
    this.#store = store;
  }

  async findById(credentialId: string): Promise<StoredWebAuthnCredential | undefined> {
    const row = await this.#store.db.selectFrom('rampart_webauthn_credentials').selectAll().where('id', '=', credentialId).executeTakeFirst();
    return row === undefined ? undefined : toCredential(row);
  }

  async listByUser(userId: string): Promise<readonly StoredWebAuthnCredential[]> {
    const rows = await this.#store.db
      .selectFrom('rampart_webauthn_credentials')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toCredential);
  }

  async create(credential: StoredWebAuthnCredential): Promise<boolean> {
    const result = await this.#store.db
      .insertInto('rampart_webauthn_credentials')
      .values({
        id: credential.id,
        user_id: credential.userId,
        public_key: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter,
        transports: JSON.stringify(credential.transports),
        device_type: credential.deviceType,
        backed_up: credential.backedUp ? 1 : 0,
        aaguid: credential.aaguid,
        created_at: credential.createdAt.getTime(),
        last_used_at: credential.lastUsedAt?.getTime() ?? null,
        flagged_reason: credential.flagged?.reason ?? null,
        flagged_at: credential.flagged?.at.getTime() ?? null,
      })
      .onConflict((c) => c.doNothing())
      .executeTakeFirst();
    return affected(result.numInsertedOrUpdatedRows) === 1;
  }

  async recordUse(credentialId: string, expectedCounter: number, use: WebAuthnCredentialUse): Promise<boolean> {
    const result = await this.#store.db
      .updateTable('rampart_webauthn_credentials')
      .set({ counter: use.counter, backed_up: use.backedUp ? 1 : 0, last_used_at: use.lastUsedAt.getTime() })
      .where('id', '=', credentialId)
      .where('counter', '=', expectedCounter)
      .where('flagged_reason', 'is', null)
      .executeTakeFirst();
    return affected(result.numUpdatedRows) === 1;
  }

  async flag(credentialId: string, reason: WebAuthnCredentialFlagReason, at: Date): Promise<void> {
    await this.#store.db
      .updateTable('rampart_webauthn_credentials')
      .set({ flagged_reason: reason, flagged_at: at.getTime() })
      .where('id', '=', credentialId)
      .execute();
  }

  async delete(credentialId: string): Promise<void> {
    await this.#store.db.deleteFrom('rampart_webauthn_credentials').where('id', '=', credentialId).execute();
  }
}
