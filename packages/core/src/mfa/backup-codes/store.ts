/** One stored backup code: the kid of the ring key whose subkey made the hash, and the hash (base64url). */
export interface StoredBackupCode {
  readonly kid: string;
  readonly hash: string;
}

/**
 * Port for a subject's set of unused backup codes (hashed, never plaintext).
 *
 * ## Atomicity contract
 * - `replace(subject, codes)` swaps the whole set in one step: once it resolves no code of the previous set can be
 *   consumed, and a concurrent `consume` sees either the old set or the new one, never a mix.
 *   SQL: `DELETE … WHERE subject = $1` and the `INSERT`s in one transaction.
 * - `consume(subject, candidates)` removes at most one stored entry equal (kid and hash) to one of `candidates`, and
 *   resolves the number of codes left afterwards, or `undefined` when none matched. Two concurrent calls for the same
 *   code must never both resolve a number: that is the single-use guarantee. SQL: `DELETE FROM backup_codes WHERE
 *   subject = $1 AND (kid, hash) IN (…) RETURNING 1` (a returned row means consumed; count afterwards); Redis:
 *   `SREM` of the member (its reply says whether this caller removed it) then `SCARD`.
 *   Never read-then-delete in two round trips.
 *
 * Entries are HMACs under a secret key, so looking them up by equality (an index) leaks nothing an attacker can use.
 * A store that cannot answer must reject, never resolve a number: consumption then fails closed.
 */
export interface BackupCodeStore {
  replace(subject: string, codes: readonly StoredBackupCode[]): Promise<void>;
  consume(subject: string, candidates: readonly StoredBackupCode[]): Promise<number | undefined>;
  /** How many unused codes `subject` has. */
  count(subject: string): Promise<number>;
}

/**
 * In-process {@link BackupCodeStore} for tests and single-process deployments. Atomic because each operation runs in
 * one synchronous turn of the event loop; with several processes use a shared (SQL or Redis) store.
 */
export class MemoryBackupCodeStore implements BackupCodeStore {
  readonly #sets = new Map<string, Set<string>>();

  replace(subject: string, codes: readonly StoredBackupCode[]): Promise<void> {
    this.#sets.set(subject, new Set(codes.map(entryKey)));
    return Promise.resolve();
  }

  consume(subject: string, candidates: readonly StoredBackupCode[]): Promise<number | undefined> {
    const set = this.#sets.get(subject);
    if (set === undefined) return Promise.resolve(undefined);
    for (const candidate of candidates) {
      if (set.delete(entryKey(candidate))) return Promise.resolve(set.size);
    }
    return Promise.resolve(undefined);
  }

  count(subject: string): Promise<number> {
    return Promise.resolve(this.#sets.get(subject)?.size ?? 0);
  }
}

function entryKey(code: StoredBackupCode): string {
  return `${code.kid}\0${code.hash}`;
}
