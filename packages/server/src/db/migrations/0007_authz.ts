import type { Kysely, Migration } from 'kysely';

/** The authz module's tables (see ../../authz/schema.ts). */
export const authzTables: Migration = {
  async up(_db: Kysely<unknown>) {
    // Filled by the authz module.
  },
};
