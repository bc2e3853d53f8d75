import type { BackupCodeStore, StoredBackupCode } from '@rampart/core/mfa';
import { prepared } from '../db/prepared.js';
import { affected, int64, writeTransaction, type StoreDatabase, type WriteTransaction } from './sql.js';

// Counted at every login of an account with a second factor, and after each code spent.
const codesOf = prepared((db: WriteTransaction, args: { subject: string }) =>
  db
    .selectFrom('rampart_backup_codes')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('subject', '=', args.subject),
);

async function countCodes(db: WriteTransaction, subject: string): Promise<number> {
  const row = await codesOf.first(db, { subject });
  return row === undefined ? 0 : int64(row.n);
}

/**
 * {@link BackupCodeStore} on the server's database (SQLite or PostgreSQL), shared by every server process. Holds the
 * HMACs the caller computed, never a code.
 *
 * Protects the single-use guarantee across processes: a code is consumed by `DELETE … WHERE subject = ? AND kid = ?
 * AND hash = ?`, and only the call whose `DELETE` removed the row (row count 1) gets a number back; a concurrent
 * `DELETE` of the same row finds it gone (PostgreSQL re-checks after waiting on the row lock; SQLite runs writers one
 * at a time). `replace` swaps the whole set in one transaction, so no code of the old set survives it.
 */
export class SqlBackupCodeStore implements BackupCodeStore {
  readonly #store: StoreDatabase;

  constructor(store: StoreDatabase) {
    this.#store = store;
  }

  async replace(subject: string, codes: readonly StoredBackupCode[]): Promise<void> {
    await writeTransaction(this.#store, async (trx) => {
      await trx.deleteFrom('rampart_backup_codes').where('subject', '=', subject).execute();
      if (codes.length > 0) {
        await trx
          .insertInto('rampart_backup_codes')
          .values(codes.map((code) => ({ subject, kid: code.kid, hash: code.hash })))
          .onConflict((c) => c.doNothing())
          .execute();
      }
    });
  }

  async consume(subject: string, candidates: readonly StoredBackupCode[]): Promise<number | undefined> {
    return writeTransaction(this.#store, async (trx) => {
      for (const candidate of candidates) {
        const removed = await trx
          .deleteFrom('rampart_backup_codes')
          .where('subject', '=', subject)
          .where('kid', '=', candidate.kid)
          .where('hash', '=', candidate.hash)
          .executeTakeFirst();
        if (affected(removed.numDeletedRows) === 1) return countCodes(trx, subject);
      }
      return undefined;
    });
  }

  async count(subject: string): Promise<number> {
    return countCodes(this.#store.db, subject);
  }
}
