/**
 * The storage port for refresh-token families. Stores hold hashes, never tokens: a leaked table gives an attacker no
 * token to present.
 *
 * ## Atomicity contract
 *
 * {@link RefreshTokenStore.rotate} is the only operation that decides whether a token may be exchanged, and it must be
 * one indivisible step (a single SQL statement or transaction, a Redis Lua script or WATCH/MULTI, one synchronous block
 * in memory). Within that step the store:
 *
 * 1. finds the parent row by `parentHash`;
 * 2. checks that the parent is unused (`used_at IS NULL`) and its family is not revoked;
 * 3. only if both hold, marks the parent used (`used_at`, `successor_id`, `grace_until`, `sealed_successor`) AND
 *    inserts the successor row.
 *
 * Of any number of concurrent `rotate` calls for the same parent, exactly one returns `rotated`; every other call
 * returns `already_used` carrying the winner's write (its `successorId`, `sealedSuccessor` and `graceUntil`). A
 * successor row must never exist without its parent marked used, and a parent must never be marked used twice.
 *
 * In SQL: `UPDATE refresh_tokens SET used_at = $1, successor_id = $2, grace_until = $3, sealed_successor = $4
 * WHERE token_hash = $5 AND used_at IS NULL AND family_id IN (SELECT id FROM refresh_families WHERE revoked_at IS NULL)
 * RETURNING id`, then the successor `INSERT`, in one transaction; when no row comes back, re-read the parent (the
 * winner has committed, since the `UPDATE` waited on its row lock) and report why.
 *
 * {@link RefreshTokenStore.revokeFamily} is a conditional write too (`WHERE revoked_at IS NULL`), so that a family is
 * reported as newly revoked once, and the event for it is emitted once.
 */

/** Why a family was revoked; stored with it and carried by the `token.refresh.family_revoked` event. */
export type RefreshRevocationReason = 'reuse' | 'logout' | 'logout_everywhere' | 'administrative';

/** One login: every refresh token descended from it shares the family and its absolute lifetime. */
export interface RefreshFamilyRecord {
  /** Random, unguessable, not secret (safe in events and logs). */
  readonly id: string;
  readonly subject: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms after which no token of the family is accepted, however recently rotated. */
  readonly absoluteExpiresAt: number;
  readonly revokedAt?: number;
  readonly revokedReason?: RefreshRevocationReason;
}

/** One token of a family. The token itself is not stored, only `tokenHash`. */
export interface RefreshTokenRecord {
  /** Random row id, not secret. */
  readonly id: string;
  readonly familyId: string;
  /** base64url SHA-256 of the token; the lookup key. */
  readonly tokenHash: string;
  /** Epoch ms when this token was minted: the idle lifetime counts from here. */
  readonly issuedAt: number;
  readonly parentId?: string;
  /** Epoch ms when this token was exchanged; set once, by {@link RefreshTokenStore.rotate}. */
  readonly usedAt?: number;
  readonly successorId?: string;
  /** Until this epoch ms, presenting this (used) token again returns the same successor. */
  readonly graceUntil?: number;
  /** The successor token, encrypted with the key ring; kept only until `graceUntil`. */
  readonly sealedSuccessor?: string;
}

/** A token together with its family, as read in one go. */
export interface RefreshTokenEntry {
  readonly token: RefreshTokenRecord;
  readonly family: RefreshFamilyRecord;
}

/** The arguments of one atomic rotation; see the contract above. */
export interface RotateRequest {
  readonly parentHash: string;
  /** Epoch ms written into the parent's `usedAt`. */
  readonly usedAt: number;
  /** The new token row; its `familyId` equals the parent's and its `parentId` is the parent's id. */
  readonly successor: RefreshTokenRecord;
  readonly graceUntil?: number;
  readonly sealedSuccessor?: string;
}

export type RotateOutcome =
  | { readonly status: 'rotated' }
  /** Another exchange won (or happened earlier); `entry` shows its write. */
  | { readonly status: 'already_used'; readonly entry: RefreshTokenEntry }
  | { readonly status: 'revoked'; readonly entry: RefreshTokenEntry }
  | { readonly status: 'not_found' };

/**
 * Where refresh-token families live. Implementations: in memory ({@link MemoryRefreshTokenStore}) now, SQL and Redis
 * later; all must meet the atomicity contract documented at the top of this module.
 */
export interface RefreshTokenStore {
  /** Inserts a new family and its first token. */
  createFamily(family: RefreshFamilyRecord, first: RefreshTokenRecord): Promise<void>;
  /** The token with this hash and its family, or `undefined`. */
  findByHash(tokenHash: string): Promise<RefreshTokenEntry | undefined>;
  /** Atomically exchanges an unused parent for `successor`; see the contract. */
  rotate(request: RotateRequest): Promise<RotateOutcome>;
  /**
   * Marks the family revoked unless it already is. Returns the revoked family only to the call that revoked it
   * (`UPDATE … WHERE revoked_at IS NULL RETURNING *`), `undefined` otherwise.
   */
  revokeFamily(familyId: string, at: number, reason: RefreshRevocationReason): Promise<RefreshFamilyRecord | undefined>;
  /** Revokes every unrevoked family of `subject`; returns the ids of the families this call revoked. */
  revokeSubject(subject: string, at: number, reason: RefreshRevocationReason): Promise<string[]>;
  /**
   * Housekeeping: deletes families (and their tokens) past their absolute lifetime and erases sealed successors past
   * their grace window. Returns the number of families deleted. Run it periodically.
   */
  deleteExpired(now: number): Promise<number>;
}
