import type { Kysely, Migration } from 'kysely';

/**
 * The login module's tables (see ../../login/schema.ts): pending second-factor logins, and the profile's display name.
 *
 * A pending login is stored as the SHA-256 of its token (a leaked table or backup yields no usable token), with its
 * attempt counter and single-use stamp beside it so that one conditional UPDATE can count an attempt or spend the row
 * (no read-then-write race between two processes).
 */
export const loginTables: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('rampart_pending_logins')
      .addColumn('token_hash', 'varchar(64)', (column) => column.primaryKey())
      .addColumn('user_id', 'varchar(64)', (column) => column.notNull().references('rampart_users.id').onDelete('cascade'))
      .addColumn('amr', 'varchar(128)', (column) => column.notNull())
      .addColumn('auth_time', 'bigint', (column) => column.notNull())
      .addColumn('delivery', 'varchar(16)', (column) => column.notNull())
      .addColumn('attempts', 'integer', (column) => column.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('expires_at', 'bigint', (column) => column.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema.createIndex('rampart_pending_logins_user').on('rampart_pending_logins').column('user_id').execute();
    await db.schema.createIndex('rampart_pending_logins_expiry').on('rampart_pending_logins').column('expires_at').execute();

    await db.schema.alterTable('rampart_users').addColumn('display_name', 'varchar(256)').execute();
  },
};
