import { sql, type Kysely, type Migration } from 'kysely';

/** The server's own metadata table. */
export const meta: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('rampart_meta')
      .addColumn('key', 'varchar(128)', (column) => column.primaryKey())
      .addColumn('value', 'text', (column) => column.notNull())
      .execute();
    await sql`INSERT INTO rampart_meta (key, value) VALUES ('schema', 'rampart')`.execute(db);
  },
};
