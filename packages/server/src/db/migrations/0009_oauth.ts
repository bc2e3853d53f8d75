import type { Kysely, Migration } from 'kysely';

/**
 * The OAuth module's tables (see ../../oauth/schema.ts): what oidc-provider stores through its adapter, one row per
 * model instance, and the registered clients.
 *
 * The primary key is `(kind, id)`: ids are unique per model only. `consumed_at` is written by one conditional UPDATE
 * (`… WHERE consumed_at IS NULL`), so of two requests spending one authorization code or refresh token at once, exactly
 * one succeeds on both engines. `grant_id` is indexed for `revokeByGrantId` (a reused code or refresh token revokes
 * every token of its grant), `expires_at` for the sweep of expired rows.
 */
export const oauthTables: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('rampart_oauth_models')
      .addColumn('kind', 'varchar(64)', (c) => c.notNull())
      .addColumn('id', 'varchar(256)', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('grant_id', 'varchar(256)')
      .addColumn('client_id', 'varchar(256)')
      .addColumn('user_code', 'varchar(256)')
      .addColumn('uid', 'varchar(256)')
      .addColumn('expires_at', 'bigint')
      .addColumn('consumed_at', 'bigint')
      .addPrimaryKeyConstraint('rampart_oauth_models_pk', ['kind', 'id'])
      .execute();
    await db.schema.createIndex('rampart_oauth_models_grant').on('rampart_oauth_models').column('grant_id').execute();
    await db.schema.createIndex('rampart_oauth_models_client').on('rampart_oauth_models').column('client_id').execute();
    await db.schema.createIndex('rampart_oauth_models_uid').on('rampart_oauth_models').columns(['kind', 'uid']).execute();
    await db.schema.createIndex('rampart_oauth_models_user_code').on('rampart_oauth_models').columns(['kind', 'user_code']).execute();
    await db.schema.createIndex('rampart_oauth_models_expires').on('rampart_oauth_models').column('expires_at').execute();

    await db.schema
      .createTable('rampart_oauth_clients')
      .addColumn('client_id', 'varchar(256)', (c) => c.primaryKey())
      .addColumn('client_type', 'varchar(16)', (c) => c.notNull())
      .addColumn('name', 'varchar(256)')
      .addColumn('application_type', 'varchar(16)', (c) => c.notNull())
      .addColumn('secret_sealed', 'text')
      .addColumn('redirect_uris', 'text', (c) => c.notNull())
      .addColumn('post_logout_redirect_uris', 'text', (c) => c.notNull())
      .addColumn('grant_types', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('token_endpoint_auth_method', 'varchar(64)', (c) => c.notNull())
      .addColumn('tls_client_auth_subject_dn', 'text')
      .addColumn('jwks', 'text')
      .addColumn('certificate_bound_access_tokens', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('dpop_bound_access_tokens', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('first_party', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('secret_rotated_at', 'bigint')
      .execute();
  },
};
