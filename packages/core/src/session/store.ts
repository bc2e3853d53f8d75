import type { SessionLimitPolicy, SessionRecord } from './types.js';

/** The per-user limit an insert must respect. */
export interface SessionLimit {
  readonly max: number;
  readonly policy: SessionLimitPolicy;
}

export interface InsertOptions {
  /** The current time (ms): decides which of the user's sessions are still live and count towards the limit. */
  readonly now: number;
  /**
   * Key of a session to revoke in the same atomic step (rotation). It does not count towards the limit. If that session
   * is already revoked or gone, nothing is written and the outcome is `stale`: two rotations of one id (say, the victim
   * and a thief racing) must not both yield a live successor.
   */
  readonly replaces?: string;
  /** Applied when the record has a `userId`. */
  readonly limit?: SessionLimit;
}

export type InsertOutcome =
  | { readonly inserted: true; readonly evicted: readonly SessionRecord[] }
  | { readonly inserted: false; readonly reason: 'limit' | 'capacity' | 'stale' };

/**
 * Storage port for sessions. Keys are SHA-256 hashes of session ids; a store never sees an id.
 *
 * Atomicity is part of the contract, because each of these races is an attack or a hole:
 * - `insert` is one atomic step per user: counting the user's live sessions, evicting (or refusing), writing the new
 *   record and revoking `replaces` all happen together or not at all. Otherwise N concurrent logins each see "below the
 *   limit" and the user ends up with N sessions; or a rotation creates the new session but leaves the old (possibly
 *   attacker-planted) one alive, or two concurrent rotations of one id fork it into two live sessions. SQL: one transaction with `SELECT … FOR UPDATE` on the user's rows (or a per-user
 *   advisory lock); Redis: one Lua script or `WATCH`/`MULTI`.
 * - `touch` only moves `lastSeenAt`/`idleExpiresAt` forward (max of old and new) and never writes over a revoked record:
 *   a read-modify-write of the whole record would let a slow request resurrect a session revoked meanwhile, or move an
 *   idle deadline backwards. SQL: `UPDATE … SET idle = GREATEST(idle, $1) WHERE key = $2 AND revoked_at IS NULL`.
 * - `revoke` and `revokeUser` are idempotent and set `revokedAt` only where it is unset.
 *
 * The in-memory implementation meets this by never awaiting between a check and the write that depends on it.
 */
export interface SessionStore {
  get(key: string): Promise<SessionRecord | undefined>;
  insert(record: SessionRecord, options: InsertOptions): Promise<InsertOutcome>;
  /** Returns false when the record is missing or revoked. */
  touch(key: string, lastSeenAt: number, idleExpiresAt: number): Promise<boolean>;
  /** Returns the record as it was before revocation, when it existed and was not revoked yet. */
  revoke(key: string, at: number): Promise<SessionRecord | undefined>;
  /** Revokes every unrevoked session of `userId` except `exceptKey`; returns the revoked records. */
  revokeUser(userId: string, at: number, exceptKey?: string): Promise<readonly SessionRecord[]>;
  /** Every record of `userId` still held, including tombstones and expired ones; the caller filters. */
  listUser(userId: string): Promise<readonly SessionRecord[]>;
  /** Deletes records whose idle or absolute deadline has passed; returns how many. */
  deleteExpired(now: number): Promise<number>;
}
