import type { Kysely, Migration } from 'kysely';

/**
 * Accounts: users, their one-time tokens (e-mail verification, password reset) and the mail outbox.
 *
 * Tokens are stored as SHA-256 digests only (a leaked table gives no usable link); the outbox lets a request commit
 * the mail with the account change in one transaction and leaves the mail transport's latency out of the response,
 * where it would tell an attacker whether an address has an account.
 */
export const accounts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('rampart_users')
      .addColumn('id', 'varchar(64)', (column) => column.primaryKey())
      .addColumn('email', 'varchar(254)', (column) => column.notNull())
      .addColumn('email_normalized', 'varchar(254)', (column) => column.notNull())
      .addColumn('password_hash', 'varchar(512)', (column) => column.notNull())
      .addColumn('email_verified_at', 'varchar(32)')
      .addColumn('locked_at', 'varchar(32)')
      .addColumn('password_changed_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('updated_at', 'varchar(32)', (column) => column.notNull())
      .execute();
    // One account per address however it was typed: the unique index is the race-free arbiter, not a prior SELECT.
    await db.schema.createIndex('rampart_users_email_normalized').on('rampart_users').column('email_normalized').unique().execute();

    await db.schema
      .createTable('rampart_account_tokens')
      .addColumn('token_hash', 'varchar(64)', (column) => column.primaryKey())
      .addColumn('user_id', 'varchar(64)', (column) => column.notNull().references('rampart_users.id').onDelete('cascade'))
      .addColumn('purpose', 'varchar(32)', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('expires_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('used_at', 'varchar(32)')
      .execute();
    await db.schema.createIndex('rampart_account_tokens_user').on('rampart_account_tokens').columns(['user_id', 'purpose']).execute();

    await db.schema
      .createTable('rampart_mail_outbox')
      .addColumn('id', 'varchar(64)', (column) => column.primaryKey())
      .addColumn('kind', 'varchar(32)', (column) => column.notNull())
      .addColumn('recipient', 'varchar(254)', (column) => column.notNull())
      .addColumn('subject', 'varchar(256)', (column) => column.notNull())
      .addColumn('body', 'text', (column) => column.notNull())
      .addColumn('status', 'varchar(16)', (column) => column.notNull())
      .addColumn('attempts', 'integer', (column) => column.notNull().defaultTo(0))
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .addColumn('sent_at', 'varchar(32)')
      .execute();
    await db.schema.createIndex('rampart_mail_outbox_status').on('rampart_mail_outbox').columns(['status', 'created_at']).execute();
  },
};
