import type { Kysely, Migration } from 'kysely';

/**
 * The MFA module's tables (see ../../mfa/schema.ts): TOTP secrets (encrypted, pending or confirmed) and passkey names.
 * Also an index on the pending WebAuthn ceremonies' challenge: a finished ceremony is found by the challenge its
 * signed client data names, so the client never holds a ceremony handle.
 */
export const mfaTables: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('rampart_mfa_totp')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('confirmed_at', 'bigint')
      .execute();
    await db.schema.createIndex('rampart_mfa_totp_user').on('rampart_mfa_totp').column('user_id').execute();

    await db.schema
      .createTable('rampart_mfa_passkey_names')
      .addColumn('credential_id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text')
      .execute();
    await db.schema.createIndex('rampart_mfa_passkey_names_user').on('rampart_mfa_passkey_names').column('user_id').execute();

    await db.schema.createIndex('rampart_webauthn_challenges_challenge').on('rampart_webauthn_challenges').column('challenge').execute();
  },
};
