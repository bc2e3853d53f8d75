import type { Kysely, Migration } from 'kysely';

/**
 * The authz module's tables (see ../../authz/schema.ts): role bindings per tenant and versioned policy documents.
 *
 * The primary key of a binding is the whole binding, so granting twice is one row and a race between two grants
 * cannot duplicate it; a binding disappears with its account. Policy versions are never updated except for the
 * active flag; the partial unique index is the last line against two active versions (the activation itself runs in
 * one write transaction).
 */
export const authzTables: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('rampart_role_bindings')
      .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('rampart_users.id').onDelete('cascade'))
      .addColumn('tenant', 'varchar(128)', (c) => c.notNull())
      .addColumn('role', 'varchar(64)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'varchar(64)')
      .addPrimaryKeyConstraint('rampart_role_bindings_pk', ['user_id', 'tenant', 'role'])
      .execute();
    await db.schema.createIndex('rampart_role_bindings_tenant').on('rampart_role_bindings').columns(['tenant', 'role']).execute();

    await db.schema
      .createTable('rampart_policies')
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('format', 'varchar(8)', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
      .addColumn('created_by', 'varchar(64)')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('activation', 'bigint')
      .execute();
    await db.schema.createIndex('rampart_policies_one_active').on('rampart_policies').column('active').unique().where('active', '=', 1).execute();
  },
};
