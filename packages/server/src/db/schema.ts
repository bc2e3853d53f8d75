/** Tables the server's Kysely queries see. Migrations (migrations.ts) create them; versions only ever move forward. */
export interface RampartDatabase {
  rampart_meta: {
    key: string;
    value: string;
  };
}
