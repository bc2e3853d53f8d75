import type { Kysely, Migration } from 'kysely';

/** The tokens module's tables (see ../../tokens/schema.ts). */
export const tokensTables: Migration = {
  async up(_db: Kysely<unknown>) {
    // Filled by the tokens module.
  },
};
