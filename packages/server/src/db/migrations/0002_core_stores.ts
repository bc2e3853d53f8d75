import type { Kysely, Migration } from 'kysely';

/*
 * Tables behind the storage ports of `@rampart/core`. Secrets never reach them: sessions and refresh tokens are keyed
 * by SHA-256 hashes, API keys and backup codes by keyed hashes, WebAuthn credentials hold public keys only. Times are
 * epoch milliseconds in `bigint` columns (the ports speak numbers), booleans are 0/1 integers (SQLite has none).
 * The uniqueness and primary keys below are what the stores' single-use and no-overwrite guarantees rest on.
 */
export const coreStores: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('rampart_sessions')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('handle', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text')
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('idle_expires_at', 'bigint', (c) => c.notNull())
      .addColumn('absolute_expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema.createIndex('rampart_sessions_user').on('rampart_sessions').column('user_id').execute();
    await db.schema.createIndex('rampart_sessions_idle').on('rampart_sessions').column('idle_expires_at').execute();
    await db.schema.createIndex('rampart_sessions_absolute').on('rampart_sessions').column('absolute_expires_at').execute();

    await db.schema
      .createTable('rampart_refresh_families')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('absolute_expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('revoked_reason', 'text')
      .execute();
    await db.schema.createIndex('rampart_refresh_families_subject').on('rampart_refresh_families').column('subject').execute();
    await db.schema
      .createIndex('rampart_refresh_families_expiry')
      .on('rampart_refresh_families')
      .column('absolute_expires_at')
      .execute();
    await db.schema
      .createTable('rampart_refresh_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('family_id', 'text', (c) => c.notNull().references('rampart_refresh_families.id'))
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('issued_at', 'bigint', (c) => c.notNull())
      .addColumn('parent_id', 'text')
      .addColumn('used_at', 'bigint')
      .addColumn('successor_id', 'text')
      .addColumn('grace_until', 'bigint')
      .addColumn('sealed_successor', 'text')
      .execute();
    await db.schema.createIndex('rampart_refresh_tokens_family').on('rampart_refresh_tokens').column('family_id').execute();

    await db.schema
      .createTable('rampart_api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('name', 'text')
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('hash_kid', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('rampart_api_keys_subject').on('rampart_api_keys').column('subject').execute();

    await db.schema
      .createTable('rampart_totp_steps')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('step', 'bigint', (c) => c.notNull())
      .addColumn('retain_until', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('rampart_totp_steps_retain').on('rampart_totp_steps').column('retain_until').execute();

    await db.schema
      .createTable('rampart_backup_codes')
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('kid', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('rampart_backup_codes_pk', ['subject', 'kid', 'hash'])
      .execute();

    await db.schema
      .createTable('rampart_webauthn_credentials')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('counter', 'bigint', (c) => c.notNull())
      .addColumn('transports', 'text', (c) => c.notNull())
      .addColumn('device_type', 'text', (c) => c.notNull())
      .addColumn('backed_up', 'integer', (c) => c.notNull())
      .addColumn('aaguid', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .addColumn('flagged_reason', 'text')
      .addColumn('flagged_at', 'bigint')
      .execute();
    await db.schema.createIndex('rampart_webauthn_credentials_user').on('rampart_webauthn_credentials').column('user_id').execute();

    await db.schema
      .createTable('rampart_webauthn_challenges')
      .addColumn('ceremony_id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('challenge', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text')
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('rampart_webauthn_challenges_expiry')
      .on('rampart_webauthn_challenges')
      .column('expires_at')
      .execute();
  },
};
