/*
 * Tables the server's Kysely queries see, one interface per area so areas evolve in their own files; the migrations
 * in ./migrations create them.
 */

/** `0001_meta`. */
export interface MetaTables {
  rampart_meta: {
    key: string;
    value: string;
  };
}

/** Every table (an intersection: each area adds its interface here). */
export type RampartDatabase = MetaTables;
