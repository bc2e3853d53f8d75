import type { Kysely } from 'kysely';
import { prepared } from '../db/prepared.js';
import type { RampartDatabase } from '../db/schema.js';

// Read on every refresh and every request with an access token. Built once per dialect (../db/prepared.ts).
const stateOf = prepared((db: Kysely<RampartDatabase>, args: { userId: string }) => db.selectFrom('rampart_users').select(['locked_at', 'password_changed_at']).where('id', '=', args.userId));

/** What a token check needs to know about its account, read in one primary-key lookup. */
export interface AccountState {
  readonly locked: boolean;
  /** When the password last changed (epoch ms). */
  readonly passwordChangedAt: number;
}

/**
 * Reads the account's lock and password-change time (`rampart_users`, by primary key), or `undefined` when the
 * account does not exist.
 *
 * Protects against a locked or deleted account still acting through a token it held before (access tokens are
 * self-contained: without this read, only their expiry would stop them).
 */
export async function accountState(db: Kysely<RampartDatabase>, userId: string): Promise<AccountState | undefined> {
  const row = await stateOf.first(db, { userId });
  if (row === undefined) return undefined;
  const changed = Date.parse(row.password_changed_at);
  // An unreadable time cannot prove the token is newer than the password: treat it as "changed just now".
  return { locked: row.locked_at !== null, passwordChangedAt: Number.isFinite(changed) ? changed : Number.POSITIVE_INFINITY };
}
