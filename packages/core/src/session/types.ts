/** A JSON value: what session data may hold, so every store can persist it without custom serialization. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Small, JSON-safe, application data kept with a session (a cart, a locale, a CSRF secret). Frozen once stored. */
export type SessionData = Readonly<Record<string, JsonValue>>;

/**
 * What a {@link SessionStore} keeps for one session. There is no session id in it: only {@link SessionRecord.key}, the
 * SHA-256 of the id. Records are immutable; stores replace them.
 */
export interface SessionRecord {
  /** SHA-256 of the session id (base64url). */
  readonly key: string;
  /** Non-secret public handle, for lists and "sign out that device". */
  readonly handle: string;
  /** Absent for anonymous (pre-login) sessions. */
  readonly userId?: string;
  readonly data: SessionData;
  /** Start of the absolute lifetime (ms since epoch): creation, or login for an authenticated session. */
  readonly createdAt: number;
  /** Last recorded activity (ms since epoch). */
  readonly lastSeenAt: number;
  /** Idle deadline (ms since epoch), pushed forward by `touch`, never beyond `absoluteExpiresAt`. */
  readonly idleExpiresAt: number;
  /** Hard deadline (ms since epoch); no activity extends it. */
  readonly absoluteExpiresAt: number;
  /** Set when the session was revoked, rotated away or evicted; the record is kept as a tombstone until it expires. */
  readonly revokedAt?: number;
}

/** The caller's view of a live session. No id: the id is a secret that only the cookie holds. */
export interface Session {
  readonly handle: string;
  readonly userId?: string;
  readonly data: SessionData;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly idleExpiresAt: number;
  readonly absoluteExpiresAt: number;
}

/** A session just issued: the secret id (put it in the cookie, then forget it) and the session. */
export interface IssuedSession {
  readonly id: string;
  readonly session: Session;
}

/** Why `validate` refused an id. */
export type SessionFailureReason = 'malformed' | 'unknown' | 'idle_timeout' | 'absolute_timeout' | 'revoked';

/** What to do when a user already has `maxSessionsPerUser` live sessions. */
export type SessionLimitPolicy = 'evict-oldest' | 'refuse-new';
