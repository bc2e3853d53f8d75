import type { TotpReplayStore } from '@rampart/core/mfa';
import { affected, type StoreDatabase } from './sql.js';

/**
 * {@link TotpReplayStore} on the server's database (SQLite or PostgreSQL): the last accepted TOTP step per
 * credential, shared by every server process, so a code replayed to another process (or after a restart) is refused.
 *
 * Protects against a code used twice by racing requests: `acceptStep` is one statement,
 * `INSERT … ON CONFLICT (key) DO UPDATE … WHERE step < excluded.step RETURNING key`; a returned row means this call
 * moved the step forward. Both engines decide the conflict on the primary key, so of concurrent calls with one step
 * from any number of connections exactly one gets a row. Errors propagate, so verification fails closed.
 */
export class SqlTotpReplayStore implements TotpReplayStore {
  readonly #store: StoreDatabase;

  constructor(store: StoreDatabase) {
    this.#store = store;
  }

  async acceptStep(key: string, step: number, retainUntil: number): Promise<boolean> {
    const row = await this.#store.db
      .insertInto('rampart_totp_steps')
      .values({ key, step, retain_until: retainUntil })
      .onConflict((conflict) =>
        conflict
          .column('key')
          .doUpdateSet((eb) => ({ step: eb.ref('excluded.step'), retain_until: eb.ref('excluded.retain_until') }))
          .whereRef('rampart_totp_steps.step', '<', 'excluded.step'),
      )
      .returning('key')
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Forgets records past their `retainUntil` (by then every step the verifier could accept is newer). Run it
   * periodically; returns how many were deleted.
   */
  async deleteExpired(now: number): Promise<number> {
    const result = await this.#store.db.deleteFrom('rampart_totp_steps').where('retain_until', '<=', now).executeTakeFirst();
    return affected(result.numDeletedRows);
  }
}
