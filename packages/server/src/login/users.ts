import type { Kysely } from 'kysely';
import { prepared } from '../db/prepared.js';
import type { RampartDatabase } from '../db/schema.js';

/** What the login module reads of an account to authenticate it. */
export interface AccountCredentials {
  readonly id: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly emailVerified: boolean;
  readonly locked: boolean;
}

const COLUMNS = ['id', 'email', 'password_hash', 'email_verified_at', 'locked_at'] as const;

// Every login reads an account: built once per dialect (../db/prepared.ts).
const byEmail = prepared((db: Kysely<RampartDatabase>, args: { email: string }) => db.selectFrom('rampart_users').select(COLUMNS).where('email_normalized', '=', args.email));
const byId = prepared((db: Kysely<RampartDatabase>, args: { id: string }) => db.selectFrom('rampart_users').select(COLUMNS).where('id', '=', args.id));

function credentialsOf(row: { id: string; email: string; password_hash: string; email_verified_at: string | null; locked_at: string | null }): AccountCredentials {
  return { id: row.id, email: row.email, passwordHash: row.password_hash, emailVerified: row.email_verified_at !== null, locked: row.locked_at !== null };
}

/** The account with this normalized address (see accounts/email.ts), or `undefined`. */
export async function credentialsByEmail(db: Kysely<RampartDatabase>, normalizedEmail: string): Promise<AccountCredentials | undefined> {
  const row = await byEmail.first(db, { email: normalizedEmail });
  return row === undefined ? undefined : credentialsOf(row);
}

/** The account with this id, or `undefined`. */
export async function credentialsById(db: Kysely<RampartDatabase>, userId: string): Promise<AccountCredentials | undefined> {
  const row = await byId.first(db, { id: userId });
  return row === undefined ? undefined : credentialsOf(row);
}

/**
 * Replaces an outdated password hash with `rehash`, only if the stored hash is still the one just verified: a password
 * change or reset that landed meanwhile is never overwritten with the old password. Returns whether it was written.
 */
export async function storeRehash(db: Kysely<RampartDatabase>, userId: string, verifiedHash: string, rehash: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('rampart_users')
    .set({ password_hash: rehash, updated_at: at })
    .where('id', '=', userId)
    .where('password_hash', '=', verifiedHash)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
