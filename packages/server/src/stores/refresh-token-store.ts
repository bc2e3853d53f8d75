import { RampartError } from '@rampart/core';
import type {
  RefreshFamilyRecord,
  RefreshRevocationReason,
  RefreshTokenEntry,
  RefreshTokenRecord,
  RefreshTokenStore,
  RotateOutcome,
  RotateRequest,
} from '@rampart/core/token';
import type { Insertable, Selectable } from 'kysely';
import type { CoreStoreTables } from '../db/schema.js';
import { prepared } from '../db/prepared.js';
import { affected, int64, optionalInt64, writeTransaction, type StoreDatabase, type WriteTransaction } from './sql.js';

type FamilyRow = Selectable<CoreStoreTables['rampart_refresh_families']>;
type TokenRow = Selectable<CoreStoreTables['rampart_refresh_tokens']>;

const REASONS: ReadonlySet<string> = new Set<RefreshRevocationReason>(['reuse', 'logout', 'logout_everywhere', 'administrative']);

/** A write that must not happen (an id taken, a successor from another family): rolls the transaction back. */
function conflict(message: string): RampartError {
  return new RampartError('REFRESH_STORE_CONFLICT', message);
}

function toFamily(row: FamilyRow): RefreshFamilyRecord {
  const revokedAt = optionalInt64(row.revoked_at);
  const reason = row.revoked_reason;
  return {
    id: row.id,
    subject: row.subject,
    createdAt: int64(row.created_at),
    absoluteExpiresAt: int64(row.absolute_expires_at),
    ...(revokedAt === undefined ? {} : { revokedAt }),
    ...(reason !== null && REASONS.has(reason) ? { revokedReason: reason as RefreshRevocationReason } : {}),
  };
}

function toToken(row: TokenRow): RefreshTokenRecord {
  const usedAt = optionalInt64(row.used_at);
  const graceUntil = optionalInt64(row.grace_until);
  return {
    id: row.id,
    familyId: row.family_id,
    tokenHash: row.token_hash,
    issuedAt: int64(row.issued_at),
    ...(row.parent_id === null ? {} : { parentId: row.parent_id }),
    ...(usedAt === undefined ? {} : { usedAt }),
    ...(row.successor_id === null ? {} : { successorId: row.successor_id }),
    ...(graceUntil === undefined ? {} : { graceUntil }),
    ...(row.sealed_successor === null ? {} : { sealedSuccessor: row.sealed_successor }),
  };
}

function tokenValues(token: RefreshTokenRecord): Required<Insertable<CoreStoreTables['rampart_refresh_tokens']>> {
  return {
    id: token.id,
    family_id: token.familyId,
    token_hash: token.tokenHash,
    issued_at: token.issuedAt,
    parent_id: token.parentId ?? null,
    used_at: token.usedAt ?? null,
    successor_id: token.successorId ?? null,
    grace_until: token.graceUntil ?? null,
    sealed_successor: token.sealedSuccessor ?? null,
  };
}


// Every refresh reads its token with its family, marks it used and inserts the successor. Built once per dialect
// (../db/prepared.ts).
const entryByHash = prepared((db: WriteTransaction, args: { tokenHash: string }) =>
  db
    .selectFrom('rampart_refresh_tokens as t')
    .innerJoin('rampart_refresh_families as f', 'f.id', 't.family_id')
    .select([
      't.id',
      't.family_id',
      't.token_hash',
      't.issued_at',
      't.parent_id',
      't.used_at',
      't.successor_id',
      't.grace_until',
      't.sealed_successor',
      'f.subject as f_subject',
      'f.created_at as f_created_at',
      'f.absolute_expires_at as f_absolute_expires_at',
      'f.revoked_at as f_revoked_at',
      'f.revoked_reason as f_revoked_reason',
    ])
    .where('t.token_hash', '=', args.tokenHash),
);
const markUsed = prepared(
  (db: WriteTransaction, args: { usedAt: number; successorId: string; graceUntil: number | null; sealedSuccessor: string | null; parentHash: string }) =>
    db
      .updateTable('rampart_refresh_tokens')
      .set({ used_at: args.usedAt, successor_id: args.successorId, grace_until: args.graceUntil, sealed_successor: args.sealedSuccessor })
      .where('token_hash', '=', args.parentHash)
      .where('used_at', 'is', null)
      .where('family_id', 'in', (eb) => eb.selectFrom('rampart_refresh_families').select('id').where('revoked_at', 'is', null))
      .returning(['id', 'family_id']),
);
const insertToken = prepared((db: WriteTransaction, args: Required<Insertable<CoreStoreTables['rampart_refresh_tokens']>>) =>
  db
    .insertInto('rampart_refresh_tokens')
    .values({
      id: args.id,
      family_id: args.family_id,
      token_hash: args.token_hash,
      issued_at: args.issued_at,
      parent_id: args.parent_id,
      used_at: args.used_at,
      successor_id: args.successor_id,
      grace_until: args.grace_until,
      sealed_successor: args.sealed_successor,
    })
    .onConflict((c) => c.doNothing()),
);
/**
 * {@link RefreshTokenStore} on the server's database (SQLite or PostgreSQL): refresh families shared by every server
 * process, so a token stolen and replayed to another process is still detected as reuse, and kept across restarts.
 * Holds SHA-256 hashes of tokens, and the grace-window successor only as the ciphertext the caller sealed.
 *
 * Protects the single-use exchange across processes: `rotate` marks the parent used with one conditional
 * `UPDATE … WHERE token_hash = ? AND used_at IS NULL AND <family unrevoked>`, and inserts the successor in the same
 * transaction only when that `UPDATE` changed the row. Of any number of concurrent rotations (any process, any
 * connection) exactly one changes it; PostgreSQL makes the others wait on the row lock and then re-check `used_at`,
 * SQLite runs them one after the other (`BEGIN IMMEDIATE`); the losers then read the winner's committed write.
 */
export class SqlRefreshTokenStore implements RefreshTokenStore {
  readonly #store: StoreDatabase;

  constructor(store: StoreDatabase) {
    this.#store = store;
  }

  async createFamily(family: RefreshFamilyRecord, first: RefreshTokenRecord): Promise<void> {
    if (first.familyId !== family.id) throw conflict('the first token belongs to another family');
    await writeTransaction(this.#store, async (trx) => {
      const inserted = await trx
        .insertInto('rampart_refresh_families')
        .values({
          id: family.id,
          subject: family.subject,
          created_at: family.createdAt,
          absolute_expires_at: family.absoluteExpiresAt,
          revoked_at: family.revokedAt ?? null,
          revoked_reason: family.revokedReason ?? null,
        })
        .onConflict((c) => c.doNothing())
        .executeTakeFirst();
      if (affected(inserted.numInsertedOrUpdatedRows) !== 1) throw conflict('family already exists');
      const token = await trx.insertInto('rampart_refresh_tokens').values(tokenValues(first)).onConflict((c) => c.doNothing()).executeTakeFirst();
      if (affected(token.numInsertedOrUpdatedRows) !== 1) throw conflict('token already exists');
    });
  }

  async findByHash(tokenHash: string): Promise<RefreshTokenEntry | undefined> {
    return this.#entry(this.#store.db, tokenHash);
  }

  async rotate(request: RotateRequest): Promise<RotateOutcome> {
    const { successor } = request;
    return writeTransaction(this.#store, async (trx): Promise<RotateOutcome> => {
      const marked = await markUsed.first(trx, {
        usedAt: request.usedAt,
        successorId: successor.id,
        graceUntil: request.graceUntil ?? null,
        sealedSuccessor: request.sealedSuccessor ?? null,
        parentHash: request.parentHash,
      });
      if (marked === undefined) {
        // Lost (or never had) the row: report why from committed state. On PostgreSQL the UPDATE above waited for a
        // concurrent winner's commit, so its write is visible to this next statement.
        const entry = await this.#entry(trx, request.parentHash);
        if (entry === undefined) return { status: 'not_found' };
        if (entry.family.revokedAt !== undefined) return { status: 'revoked', entry };
        if (entry.token.usedAt !== undefined) return { status: 'already_used', entry };
        // Unused and unrevoked, yet not updated: its family row is gone (deleted meanwhile). Nothing to exchange.
        return { status: 'not_found' };
      }
      if (successor.familyId !== marked.family_id || successor.parentId !== marked.id) {
        throw conflict('successor does not belong to the parent'); // rolls back the parent's mark
      }
      const inserted = await insertToken.run(trx, tokenValues(successor));
      if (affected(inserted) !== 1) throw conflict('successor already exists');
      return { status: 'rotated' };
    });
  }

  async revokeFamily(familyId: string, at: number, reason: RefreshRevocationReason): Promise<RefreshFamilyRecord | undefined> {
    const row = await this.#store.db
      .updateTable('rampart_refresh_families')
      .set({ revoked_at: at, revoked_reason: reason })
      .where('id', '=', familyId)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : toFamily(row);
  }

  async revokeSubject(subject: string, at: number, reason: RefreshRevocationReason): Promise<string[]> {
    const rows = await this.#store.db
      .updateTable('rampart_refresh_families')
      .set({ revoked_at: at, revoked_reason: reason })
      .where('subject', '=', subject)
      .where('revoked_at', 'is', null)
      .returning('id')
      .execute();
    return rows.map((row) => row.id);
  }

  async deleteExpired(now: number): Promise<number> {
    return writeTransaction(this.#store, async (trx) => {
      await trx
        .deleteFrom('rampart_refresh_tokens')
        .where('family_id', 'in', (eb) => eb.selectFrom('rampart_refresh_families').select('id').where('absolute_expires_at', '<=', now))
        .execute();
      const families = await trx.deleteFrom('rampart_refresh_families').where('absolute_expires_at', '<=', now).executeTakeFirst();
      // The grace copy is a live credential in ciphertext: erase it once its window has passed.
      await trx
        .updateTable('rampart_refresh_tokens')
        .set({ sealed_successor: null })
        .where('sealed_successor', 'is not', null)
        .where((eb) => eb.or([eb('grace_until', 'is', null), eb('grace_until', '<=', now)]))
        .execute();
      return affected(families.numDeletedRows);
    });
  }

  /** The token and its family in one statement (one consistent read). */
  async #entry(db: WriteTransaction, tokenHash: string): Promise<RefreshTokenEntry | undefined> {
    const row = await entryByHash.first(db, { tokenHash });
    if (row === undefined) return undefined;
    return {
      token: toToken(row),
      family: toFamily({
        id: row.family_id,
        subject: row.f_subject,
        created_at: row.f_created_at,
        absolute_expires_at: row.f_absolute_expires_at,
        revoked_at: row.f_revoked_at,
        revoked_reason: row.f_revoked_reason,
      }),
    };
  }
}
