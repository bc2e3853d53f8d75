import type { InsertOptions, InsertOutcome, SessionData, SessionRecord, SessionStore } from '@rampart/core/session';
import { sql, type Selectable } from 'kysely';
import type { CoreStoreTables } from '../db/schema.js';
import { prepared } from '../db/prepared.js';
import { affected, int64, optionalInt64, writeTransaction, type StoreDatabase, type WriteTransaction } from './sql.js';

// Every authenticated request reads (and may touch) its session; every login counts the user's live sessions and
// inserts one. Built once per dialect (../db/prepared.ts).
const byKey = prepared((db: WriteTransaction, args: { key: string }) => db.selectFrom('rampart_sessions').selectAll().where('key', '=', args.key));
const liveOf = prepared((db: WriteTransaction, args: { userId: string; now: number }) =>
  db
    .selectFrom('rampart_sessions')
    .selectAll()
    .where('user_id', '=', args.userId)
    .where('revoked_at', 'is', null)
    .where('idle_expires_at', '>', args.now)
    .where('absolute_expires_at', '>', args.now)
    .orderBy('created_at')
    .orderBy('key'),
);
const revokeLive = prepared((db: WriteTransaction, args: { key: string; at: number }) =>
  db.updateTable('rampart_sessions').set({ revoked_at: args.at }).where('key', '=', args.key).where('revoked_at', 'is', null),
);
const insertSession = prepared(
  (
    db: WriteTransaction,
    args: {
      key: string;
      handle: string;
      userId: string | null;
      data: string;
      createdAt: number;
      lastSeenAt: number;
      idleExpiresAt: number;
      absoluteExpiresAt: number;
      revokedAt: number | null;
    },
  ) =>
    db
      .insertInto('rampart_sessions')
      .values({
        key: args.key,
        handle: args.handle,
        user_id: args.userId,
        data: args.data,
        created_at: args.createdAt,
        last_seen_at: args.lastSeenAt,
        idle_expires_at: args.idleExpiresAt,
        absolute_expires_at: args.absoluteExpiresAt,
        revoked_at: args.revokedAt,
      })
      .onConflict((conflict) => conflict.doNothing()),
);
// One statement, computed from the row's current values: max(old, new) for both, capped at the absolute deadline.
const touchSession = prepared((db: WriteTransaction, args: { key: string; lastSeenAt: number; idleExpiresAt: number }) =>
  db
    .updateTable('rampart_sessions')
    .set({
      last_seen_at: sql<number>`CASE WHEN last_seen_at < CAST(${args.lastSeenAt} AS BIGINT) THEN CAST(${args.lastSeenAt} AS BIGINT) ELSE last_seen_at END`,
      idle_expires_at: sql<number>`CASE
        WHEN (CASE WHEN idle_expires_at < CAST(${args.idleExpiresAt} AS BIGINT) THEN CAST(${args.idleExpiresAt} AS BIGINT) ELSE idle_expires_at END) > absolute_expires_at
        THEN absolute_expires_at
        ELSE (CASE WHEN idle_expires_at < CAST(${args.idleExpiresAt} AS BIGINT) THEN CAST(${args.idleExpiresAt} AS BIGINT) ELSE idle_expires_at END)
      END`,
    })
    .where('key', '=', args.key)
    .where('revoked_at', 'is', null),
);

type SessionRow = Selectable<CoreStoreTables['rampart_sessions']>;

/** First key of the two-key advisory lock that serializes one user's inserts on PostgreSQL ("RSES"). */
const USER_LOCK_CLASS = 0x52534553;

/** An insert refused after it may have written: thrown to roll the transaction back, caught to report the reason. */
class InsertRefused extends Error {
  constructor(readonly reason: 'limit' | 'capacity' | 'stale') {
    super(reason);
  }
}

function toRecord(row: SessionRow): SessionRecord {
  const revokedAt = optionalInt64(row.revoked_at);
  return Object.freeze({
    key: row.key,
    handle: row.handle,
    ...(row.user_id === null ? {} : { userId: row.user_id }),
    data: JSON.parse(row.data) as SessionData,
    createdAt: int64(row.created_at),
    lastSeenAt: int64(row.last_seen_at),
    idleExpiresAt: int64(row.idle_expires_at),
    absoluteExpiresAt: int64(row.absolute_expires_at),
    ...(revokedAt === undefined ? {} : { revokedAt }),
  });
}

/** The record as it was before this call revoked it (the port reports pre-revocation records). */
function beforeRevocation(row: SessionRow): SessionRecord {
  const { revokedAt: _revokedAt, ...rest } = toRecord(row);
  return Object.freeze(rest);
}

/**
 * {@link SessionStore} on the server's database (SQLite or PostgreSQL), shared by every server process on it and
 * kept across restarts. Holds only SHA-256 keys of session ids, never an id.
 *
 * Protects the port's races across processes: `insert` runs in one write transaction (SQLite `BEGIN IMMEDIATE`;
 * PostgreSQL a per-user advisory lock), so concurrent logins cannot each see "below the limit", and the replaced
 * session is revoked with a conditional `UPDATE … WHERE revoked_at IS NULL` whose row count decides, so two rotations
 * of one id never both get a live successor. `touch` is one conditional `UPDATE` that only moves deadlines forward
 * and skips revoked rows, so a slow request cannot resurrect a revoked session.
 *
 * Unlike the in-memory store it has no record cap: bound anonymous-session creation with rate limits, and run
 * {@link SqlSessionStore.deleteExpired} periodically.
 */
export class SqlSessionStore implements SessionStore {
  readonly #store: StoreDatabase;

  constructor(store: StoreDatabase) {
    this.#store = store;
  }

  async get(key: string): Promise<SessionRecord | undefined> {
    const row = await byKey.first(this.#store.db, { key });
    return row === undefined ? undefined : toRecord(row);
  }

  async insert(record: SessionRecord, options: InsertOptions): Promise<InsertOutcome> {
    try {
      const evicted = await writeTransaction(this.#store, (trx) => this.#insert(trx, record, options));
      return { inserted: true, evicted };
    } catch (error) {
      if (error instanceof InsertRefused) return { inserted: false, reason: error.reason };
      throw error;
    }
  }

  async #insert(trx: WriteTransaction, record: SessionRecord, { now, replaces, limit }: InsertOptions): Promise<SessionRecord[]> {
    const limited = record.userId !== undefined && limit !== undefined;
    if (limited && this.#store.kind === 'postgres') {
      // Row locks cannot cover a user's first session (there is no row yet): an advisory lock on the user can.
      await sql`SELECT pg_advisory_xact_lock(${USER_LOCK_CLASS}, hashtext(${record.userId}))`.execute(trx);
    }
    if (replaces !== undefined) {
      // The row count is the decision: of two rotations of one id, only the first finds it unrevoked.
      const revoked = await trx
        .updateTable('rampart_sessions')
        .set({ revoked_at: now })
        .where('key', '=', replaces)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (affected(revoked.numUpdatedRows) !== 1) throw new InsertRefused('stale');
    }
    let evicted: SessionRecord[] = [];
    if (limited) {
      const live = await liveOf.all(trx, { userId: record.userId, now });
      const excess = live.length + 1 - limit.max;
      if (excess > 0) {
        if (limit.policy === 'refuse-new') throw new InsertRefused('limit');
        const oldest = live.slice(0, excess);
        // Usually one: each login past the limit evicts the oldest.
        for (const row of oldest) await revokeLive.run(trx, { key: row.key, at: now });
        evicted = oldest.map(beforeRevocation);
      }
    }
    // A 256-bit key colliding is not a real event; refusing keeps an existing session from being overwritten regardless.
    const inserted = await insertSession.run(trx, {
      key: record.key,
      handle: record.handle,
      userId: record.userId ?? null,
      data: JSON.stringify(record.data),
      createdAt: record.createdAt,
      lastSeenAt: record.lastSeenAt,
      idleExpiresAt: record.idleExpiresAt,
      absoluteExpiresAt: record.absoluteExpiresAt,
      revokedAt: record.revokedAt ?? null,
    });
    if (affected(inserted) !== 1) throw new InsertRefused('capacity');
    return evicted;
  }

  async touch(key: string, lastSeenAt: number, idleExpiresAt: number): Promise<boolean> {
    return affected(await touchSession.run(this.#store.db, { key, lastSeenAt, idleExpiresAt })) === 1;
  }

  async revoke(key: string, at: number): Promise<SessionRecord | undefined> {
    const row = await this.#store.db
      .updateTable('rampart_sessions')
      .set({ revoked_at: at })
      .where('key', '=', key)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : beforeRevocation(row);
  }

  async revokeUser(userId: string, at: number, exceptKey?: string): Promise<readonly SessionRecord[]> {
    let query = this.#store.db
      .updateTable('rampart_sessions')
      .set({ revoked_at: at })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      // Expired sessions are dead already; the memory store drops them instead of reporting them revoked.
      .where('idle_expires_at', '>', at)
      .where('absolute_expires_at', '>', at);
    if (exceptKey !== undefined) query = query.where('key', '<>', exceptKey);
    const rows = await query.returningAll().execute();
    return rows.map(beforeRevocation);
  }

  async listUser(userId: string): Promise<readonly SessionRecord[]> {
    const rows = await this.#store.db
      .selectFrom('rampart_sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('key')
      .execute();
    return rows.map(toRecord);
  }

  async deleteExpired(now: number): Promise<number> {
    const result = await this.#store.db
      .deleteFrom('rampart_sessions')
      .where((eb) => eb.or([eb('idle_expires_at', '<=', now), eb('absolute_expires_at', '<=', now)]))
      .executeTakeFirst();
    return affected(result.numDeletedRows);
  }
}
