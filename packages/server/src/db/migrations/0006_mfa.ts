import type { Kysely, Migration } from 'kysely';

/** The mfa module's tables (see ../../mfa/schema.ts). */
export const mfaTables: Migration = {
  async up(_db: Kysely<unknown>) {
    // Filled by the mfa module.
  },
};
