import type { Kysely, Migration } from 'kysely';

/** The login module's tables (see ../../login/schema.ts). */
export const loginTables: Migration = {
  async up(_db: Kysely<unknown>) {
    // Filled by the login module.
  },
};
