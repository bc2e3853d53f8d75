import type { Kysely, Migration } from 'kysely';

/**
 * The token module's tables (see ../../tokens/schema.ts): signing keys (private parts sealed by the KEK), the log of
 * key changes that servers turn into audit events, and the login facts behind each refresh-token family.
 *
 * The unique index on `rampart_signing_keys.slot` is what keeps several processes from each making their own signing
 * key: an `INSERT … slot = 'active'` of a second key fails, whichever process runs it, on both engines (NULL slots —
 * retiring and retired keys — do not collide).
 */
export const tokensTables: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('rampart_signing_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('alg', 'text', (c) => c.notNull())
      .addColumn('slot', 'text')
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('private_sealed', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('activated_at', 'bigint')
      .addColumn('deactivated_at', 'bigint')
      .addColumn('retire_after', 'bigint')
      .addColumn('retired_at', 'bigint')
      .execute();
    await db.schema.createIndex('rampart_signing_keys_slot').on('rampart_signing_keys').column('slot').unique().execute();

    await db.schema
      .createTable('rampart_signing_key_log')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('kid', 'text', (c) => c.notNull())
      .addColumn('previous', 'text')
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('reported_at', 'bigint')
      .execute();
    await db.schema.createIndex('rampart_signing_key_log_reported').on('rampart_signing_key_log').column('reported_at').execute();

    await db.schema
      .createTable('rampart_token_grants')
      .addColumn('family_id', 'text', (c) => c.primaryKey().references('rampart_refresh_families.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('scope', 'text')
      .addColumn('amr', 'text', (c) => c.notNull())
      .addColumn('auth_time', 'bigint', (c) => c.notNull())
      .addColumn('complete', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('rampart_token_grants_user').on('rampart_token_grants').column('user_id').execute();
  },
};
