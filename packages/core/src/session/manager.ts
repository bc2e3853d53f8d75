import { systemClock, type Clock } from '../clock.js';
import { ConfigurationError } from '../errors.js';
import { discardEvents, securityEvent, type SecurityEventSink, type SecurityEventType } from '../events.js';
import { fail, ok, type Result } from '../result.js';
import { normalizeSessionData } from './data.js';
import { SessionError } from './errors.js';
import { isWellFormedSessionId, newSessionHandle, newSessionId, sessionKey } from './id.js';
import type { SessionLimit, SessionStore } from './store.js';
import type { IssuedSession, Session, SessionData, SessionFailureReason, SessionLimitPolicy, SessionRecord } from './types.js';

export interface SessionManagerOptions {
  readonly store: SessionStore;
  readonly clock?: Clock;
  /** A session unused this long is dead. Default 1800 (30 minutes, OWASP's upper range for idle timeouts). */
  readonly idleTimeoutSeconds?: number;
  /** A session is dead this long after login (or creation), however active. Default 43 200 (12 hours). */
  readonly absoluteTimeoutSeconds?: number;
  /**
   * Activity is written to the store at most this often per session, so `validate` is a read on almost every request.
   * The idle deadline is therefore up to this much early, never late. Default min(60, idle / 10).
   */
  readonly touchIntervalSeconds?: number;
  /** Live sessions one user may hold at once. Default 10. */
  readonly maxSessionsPerUser?: number;
  /** At the limit: `'evict-oldest'` (default: a new login always works, the oldest session dies) or `'refuse-new'`. */
  readonly limitPolicy?: SessionLimitPolicy;
  /** Largest session data, in bytes of JSON. Default 4096. */
  readonly maxDataBytes?: number;
  /** Receives session.created / rotated / revoked / evicted / refused_limit. Never receives ids. */
  readonly events?: SecurityEventSink;
}

export interface RotateOptions {
  /** Binds the new session to this user. A different user than before starts a new absolute lifetime and drops data. */
  readonly userId?: string;
  /** Marks the rotation as caused by a privilege change (role granted, MFA step-up) in the emitted event. */
  readonly privilegeChanged?: boolean;
  /**
   * Members to set in the new session's data (merged over what the session carries), written in the same atomic step
   * as the new id: a step-up's `mfaAt`, say, can never be seen on the old id.
   */
  readonly data?: SessionData;
}

/** Options of {@link SessionManager.login}. */
export interface LoginOptions {
  /**
   * Members to set in the new session's data (merged over what an anonymous session carries): the facts of the
   * authentication (time, methods), stored with the id that proves them.
   */
  readonly data?: SessionData;
}

export interface RevokeAllOptions {
  /** A session id to keep alive (the one making the request, after a password change). */
  readonly except?: string;
}

export interface ListOptions {
  /** The id of the requesting session, to flag it as `current`. */
  readonly current?: string;
}

/** A session as listed for its owner: a handle, never an id. */
export interface ListedSession extends Session {
  readonly current: boolean;
}

/** Session lifecycle: issue, validate on every request, rotate, limit, list and revoke. */
export interface SessionManager {
  /** Issues an anonymous (pre-login) session. */
  create(data?: SessionData): Promise<IssuedSession>;
  /** Checks an id from a cookie. Never throws, whatever `id` is. */
  validate(id: unknown): Promise<Result<Session, SessionFailureReason>>;
  /** Issues a new id for the session and kills the old one, atomically. */
  rotate(id: unknown, options?: RotateOptions): Promise<Result<IssuedSession, SessionFailureReason | 'limit_reached'>>;
  /**
   * Binds a fresh session to `userId`. A live anonymous session's data is carried over; the old id, whatever it was,
   * is dead afterwards.
   */
  login(anonymousId: unknown, userId: string, options?: LoginOptions): Promise<Result<IssuedSession, 'limit_reached'>>;
  /** Kills one session (logout). Returns whether a live session was revoked. Never throws on a bad id. */
  revoke(id: unknown): Promise<boolean>;
  /** Kills the session with this public handle, only if it belongs to `userId`. */
  revokeHandle(userId: string, handle: string): Promise<boolean>;
  /** Kills every session of the user (after a password change or a compromise), optionally but one. */
  revokeAll(userId: string, options?: RevokeAllOptions): Promise<number>;
  /** The user's live sessions, oldest first, without ids. */
  list(userId: string, options?: ListOptions): Promise<readonly ListedSession[]>;
  /** Deletes expired records from the store. */
  sweep(): Promise<number>;
}

const LIMIT_POLICIES: ReadonlySet<string> = new Set(['evict-oldest', 'refuse-new']);

function positiveSeconds(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigurationError(`${name} must be a positive whole number of seconds`);
  return value * 1000;
}

function checkUserId(userId: unknown): string {
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > 256) {
    throw new SessionError('SESSION_USER_INVALID', 'userId must be a non-empty string of at most 256 characters');
  }
  return userId;
}

function view(record: SessionRecord): Session {
  return {
    handle: record.handle,
    ...(record.userId === undefined ? {} : { userId: record.userId }),
    data: record.data,
    createdAt: record.createdAt,
    lastSeenAt: record.lastSeenAt,
    idleExpiresAt: record.idleExpiresAt,
    absoluteExpiresAt: record.absoluteExpiresAt,
  };
}

const EMPTY_DATA: SessionData = Object.freeze({});

/**
 * Creates a session manager.
 *
 * Protects against session hijacking by guessing (256-bit ids), against store leaks turning into account takeover (the
 * store holds only SHA-256 of ids), against session fixation (`login` and `rotate` always issue a new id and kill the
 * old one in the same atomic store step), against stolen sessions living forever (idle and absolute timeouts), against
 * unbounded parallel sessions (per-user limit, enforced atomically), and against sessions surviving a password change
 * (`revokeAll`).
 */
export function createSessionManager(options: SessionManagerOptions): SessionManager {
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const events = options.events ?? discardEvents;
  const idleMs = positiveSeconds('idleTimeoutSeconds', options.idleTimeoutSeconds ?? 30 * 60);
  const absoluteMs = positiveSeconds('absoluteTimeoutSeconds', options.absoluteTimeoutSeconds ?? 12 * 60 * 60);
  if (absoluteMs < idleMs) throw new ConfigurationError('absoluteTimeoutSeconds must be at least idleTimeoutSeconds');
  const touchMs =
    options.touchIntervalSeconds === undefined
      ? Math.min(60_000, Math.floor(idleMs / 10))
      : positiveSeconds('touchIntervalSeconds', options.touchIntervalSeconds);
  if (touchMs >= idleMs) throw new ConfigurationError('touchIntervalSeconds must be shorter than idleTimeoutSeconds');
  const maxSessions = options.maxSessionsPerUser ?? 10;
  if (!Number.isSafeInteger(maxSessions) || maxSessions < 1) throw new ConfigurationError('maxSessionsPerUser must be a positive integer');
  const policy = options.limitPolicy ?? 'evict-oldest';
  if (!LIMIT_POLICIES.has(policy)) throw new ConfigurationError("limitPolicy must be 'evict-oldest' or 'refuse-new'");
  const limit: SessionLimit = { max: maxSessions, policy };
  const maxDataBytes = options.maxDataBytes ?? 4096;
  if (!Number.isSafeInteger(maxDataBytes) || maxDataBytes < 2) throw new ConfigurationError('maxDataBytes must be an integer of at least 2');

  function emit(type: SecurityEventType, subject: string | undefined, attributes: Record<string, string | number | boolean>): void {
    try {
      events(securityEvent(type, subject, attributes));
    } catch {
      // A failing sink must not turn a completed session change into an error (events.ts contract).
    }
  }

  /** Looks an id up and applies the deadlines, without writing anything. */
  async function load(id: unknown, now: number): Promise<Result<SessionRecord, SessionFailureReason>> {
    if (!isWellFormedSessionId(id)) return fail('malformed');
    const record = await store.get(sessionKey(id));
    if (record === undefined) return fail('unknown');
    if (record.revokedAt !== undefined) return fail('revoked');
    if (now >= record.absoluteExpiresAt) return fail('absolute_timeout');
    if (now >= record.idleExpiresAt) return fail('idle_timeout');
    return ok(record);
  }

  function newRecord(now: number, data: SessionData, userId: string | undefined, absoluteExpiresAt?: number): { id: string; record: SessionRecord } {
    const id = newSessionId();
    const absolute = absoluteExpiresAt ?? now + absoluteMs;
    const record: SessionRecord = {
      key: sessionKey(id),
      handle: newSessionHandle(),
      ...(userId === undefined ? {} : { userId }),
      data,
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: Math.min(absolute, now + idleMs),
      absoluteExpiresAt: absolute,
    };
    return { id, record };
  }

  /** Inserts a session, atomically replacing `previous`; emits what happened. */
  async function issue(
    now: number,
    fresh: { id: string; record: SessionRecord },
    previous: SessionRecord | undefined,
    reason: 'login' | 'privilege_change' | 'rotate',
  ): Promise<Result<IssuedSession, 'limit_reached' | 'stale'>> {
    const { record } = fresh;
    const outcome = await store.insert(record, { now, ...(previous === undefined ? {} : { replaces: previous.key }), limit });
    if (!outcome.inserted) {
      if (outcome.reason === 'capacity') throw new SessionError('SESSION_STORE_FULL', 'the session store is full');
      if (outcome.reason === 'stale') return fail('stale');
      emit('session.refused_limit', record.userId, { limit: maxSessions });
      return fail('limit_reached');
    }
    for (const evicted of outcome.evicted) emit('session.evicted', evicted.userId, { handle: evicted.handle, limit: maxSessions });
    if (previous === undefined) {
      emit('session.created', record.userId, { handle: record.handle, anonymous: record.userId === undefined });
    } else {
      emit('session.rotated', record.userId, { handle: record.handle, previousHandle: previous.handle, reason });
    }
    return ok({ id: fresh.id, session: view(record) });
  }

  return {
    async create(data) {
      const now = clock.now();
      const normalized = data === undefined ? EMPTY_DATA : normalizeSessionData(data, maxDataBytes);
      const issued = await issue(now, newRecord(now, normalized, undefined), undefined, 'rotate');
      // Anonymous sessions have no user and so no limit; a refusal here would be a store bug.
      if (!issued.ok) throw new SessionError('SESSION_STORE_FULL', 'the session store refused an anonymous session');
      return issued.value;
    },

    async validate(id) {
      try {
        const now = clock.now();
        const loaded = await load(id, now);
        if (!loaded.ok) return loaded;
        const record = loaded.value;
        if (now - record.lastSeenAt < touchMs) return ok(view(record));
        const idleExpiresAt = Math.min(record.absoluteExpiresAt, now + idleMs);
        // False means it was revoked (or deleted) between the read and this write: the revocation wins.
        if (!(await store.touch(record.key, now, idleExpiresAt))) return fail('revoked');
        return ok(view({ ...record, lastSeenAt: now, idleExpiresAt }));
      } catch {
        // A failing store denies (fail closed) instead of turning attacker input into a 500.
        return fail('unknown');
      }
    },

    async rotate(id, rotateOptions = {}) {
      const now = clock.now();
      const loaded = await load(id, now);
      if (!loaded.ok) return loaded;
      const previous = loaded.value;
      const userId = rotateOptions.userId === undefined ? previous.userId : checkUserId(rotateOptions.userId);
      const switchesUser = userId !== previous.userId;
      // Only an anonymous session's data follows a login; another user's data never does.
      const carried = switchesUser && previous.userId !== undefined ? EMPTY_DATA : previous.data;
      const data = rotateOptions.data === undefined ? carried : normalizeSessionData({ ...carried, ...rotateOptions.data }, maxDataBytes);
      // A new authentication starts a new absolute lifetime; a mere rotation must not extend the old one.
      const fresh = newRecord(now, data, userId, switchesUser ? undefined : previous.absoluteExpiresAt);
      const reason = switchesUser ? 'login' : rotateOptions.privilegeChanged === true ? 'privilege_change' : 'rotate';
      const issued = await issue(
        now,
        switchesUser ? fresh : { id: fresh.id, record: { ...fresh.record, createdAt: previous.createdAt } },
        previous,
        reason,
      );
      // Stale: another rotation of this id won the race; this caller holds a dead id.
      if (issued.ok) return issued;
      return fail(issued.reason === 'stale' ? 'revoked' : issued.reason);
    },

    async login(anonymousId, userId, loginOptions = {}) {
      const user = checkUserId(userId);
      const facts = loginOptions.data === undefined ? EMPTY_DATA : normalizeSessionData(loginOptions.data, maxDataBytes);
      const withFacts = (carried: SessionData): SessionData => (loginOptions.data === undefined ? carried : normalizeSessionData({ ...carried, ...facts }, maxDataBytes));
      const now = clock.now();
      const loaded = anonymousId === undefined ? undefined : await load(anonymousId, now);
      const previous = loaded?.ok === true ? loaded.value : undefined;
      const data = previous !== undefined && (previous.userId === undefined || previous.userId === user) ? previous.data : EMPTY_DATA;
      const issued = await issue(now, newRecord(now, withFacts(data), user), previous, 'login');
      if (issued.ok) return issued;
      if (issued.reason === 'limit_reached') return fail(issued.reason);
      // Stale: a concurrent login (a double-submitted form) already rotated the anonymous session away. The credentials
      // were verified, so issue a fresh session; the old id stays dead and its data went to the winning login.
      const retried = await issue(now, newRecord(now, facts, user), undefined, 'login');
      return retried.ok ? retried : fail('limit_reached');
    },

    async revoke(id) {
      if (!isWellFormedSessionId(id)) return false;
      const revoked = await store.revoke(sessionKey(id), clock.now());
      if (revoked === undefined) return false;
      emit('session.revoked', revoked.userId, { handle: revoked.handle, reason: 'logout' });
      return true;
    },

    async revokeHandle(userId, handle) {
      const now = clock.now();
      const target = (await store.listUser(checkUserId(userId))).find((r) => r.handle === handle && r.revokedAt === undefined);
      if (target === undefined) return false;
      const revoked = await store.revoke(target.key, now);
      if (revoked === undefined) return false;
      emit('session.revoked', revoked.userId, { handle: revoked.handle, reason: 'revoked_by_handle' });
      return true;
    },

    async revokeAll(userId, revokeOptions = {}) {
      const user = checkUserId(userId);
      // A malformed `except` keeps nothing alive: failing closed means revoking everything.
      const exceptKey = isWellFormedSessionId(revokeOptions.except) ? sessionKey(revokeOptions.except) : undefined;
      const revoked = await store.revokeUser(user, clock.now(), exceptKey);
      for (const record of revoked) emit('session.revoked', user, { handle: record.handle, reason: 'revoke_all' });
      return revoked.length;
    },

    async list(userId, listOptions = {}) {
      const now = clock.now();
      const currentKey = isWellFormedSessionId(listOptions.current) ? sessionKey(listOptions.current) : undefined;
      const records = await store.listUser(checkUserId(userId));
      return records
        .filter((r) => r.revokedAt === undefined && now < r.idleExpiresAt && now < r.absoluteExpiresAt)
        .sort((a, b) => a.createdAt - b.createdAt)
        .map((r) => ({ ...view(r), current: r.key === currentKey }));
    },

    sweep() {
      return store.deleteExpired(clock.now());
    },
  };
}
