import type { Kysely, Migration } from 'kysely';

/**
 * The register of audit trails in this database: one per server instance (`instanceId`), each its own hash chain with
 * its own signed checkpoints. `rampart audit verify` walks every trail listed here, so a trail cannot drop out of the
 * check unnoticed while its row stays; deleting the row and the trail together is what the signed checkpoints held
 * outside the database (witnesses, SIEM) catch.
 */
export const auditTrails: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('rampart_audit_trails')
      .addColumn('instance_id', 'varchar(24)', (column) => column.primaryKey())
      .addColumn('table_prefix', 'varchar(64)', (column) => column.notNull())
      .addColumn('created_at', 'varchar(32)', (column) => column.notNull())
      .execute();
  },
};
