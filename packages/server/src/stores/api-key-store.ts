import { RampartError } from '@rampart/core';
import type { ApiKeyRecord, ApiKeyRehash, ApiKeyStore } from '@rampart/core/token';
import { sql, type Selectable } from 'kysely';
import type { CoreStoreTables } from '../db/schema.js';
import { prepared } from '../db/prepared.js';
import { affected, int64, optionalInt64, type StoreDatabase, type WriteTransaction } from './sql.js';

// Every API-key request (`/v1/authz/check`) looks its key up. Built once per dialect (../db/prepared.ts).
const keyById = prepared((db: WriteTransaction, args: { id: string }) => db.selectFrom('rampart_api_keys').selectAll().where('id', '=', args.id));

type ApiKeyRow = Selectable<CoreStoreTables['rampart_api_keys']>;

function toRecord(row: ApiKeyRow): ApiKeyRecord {
  const expiresAt = optionalInt64(row.expires_at);
  const lastUsedAt = optionalInt64(row.last_used_at);
  const revokedAt = optionalInt64(row.revoked_at);
  return {
    id: row.id,
    prefix: row.prefix,
    subject: row.subject,
    ...(row.name === null ? {} : { name: row.name }),
    scopes: JSON.parse(row.scopes) as string[],
    createdAt: int64(row.created_at),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(lastUsedAt === undefined ? {} : { lastUsedAt }),
    ...(revokedAt === undefined ? {} : { revokedAt }),
    hash: row.hash,
    hashKid: row.hash_kid,
  };
}

/**
 * {@link ApiKeyStore} on the server's database (SQLite or PostgreSQL), shared by every server process and kept across
 * restarts. Holds the keyed hash (HMAC under a ring subkey) the caller computed, never a key.
 *
 * Protects against a revoked key coming back: every write is one conditional statement on the columns it owns.
 * `revoke` is `UPDATE … WHERE revoked_at IS NULL` and its row count says whether this call revoked (one event);
 * `markUsed` writes only `last_used_at` (never backwards) and, on rehash, the hash: it never writes back a record
 * read earlier, so a revocation committed in between by another process is never overwritten. `insert` never
 * overwrites an existing id.
 */
export class SqlApiKeyStore implements ApiKeyStore {
  readonly #store: StoreDatabase;
  readonly #usageResolutionMs: number;
  /** When this process last wrote `last_used_at` per key (bounded: the oldest entries go first). */
  readonly #lastWritten = new Map<string, number>();

  /**
   * `usageResolutionMs`: `last_used_at` is written at most this often per key and process (default 60 s). A key used
   * by a service on every request would otherwise cost one durable write (an fsync on SQLite) per request; the column
   * answers "is this key still in use", to the minute. A rehash is always written at once.
   */
  constructor(store: StoreDatabase, options: { readonly usageResolutionMs?: number } = {}) {
    this.#store = store;
    this.#usageResolutionMs = options.usageResolutionMs ?? 60_000;
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    const result = await this.#store.db
      .insertInto('rampart_api_keys')
      .values({
        id: record.id,
        prefix: record.prefix,
        subject: record.subject,
        name: record.name ?? null,
        scopes: JSON.stringify(record.scopes),
        created_at: record.createdAt,
        expires_at: record.expiresAt ?? null,
        last_used_at: record.lastUsedAt ?? null,
        revoked_at: record.revokedAt ?? null,
        hash: record.hash,
        hash_kid: record.hashKid,
      })
      .onConflict((c) => c.doNothing())
      .executeTakeFirst();
    if (affected(result.numInsertedOrUpdatedRows) !== 1) throw new RampartError('APIKEY_STORE_CONFLICT', 'an API key with this id exists');
  }

  async findById(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await keyById.first(this.#store.db, { id });
    return row === undefined ? undefined : toRecord(row);
  }

  async markUsed(id: string, at: number, rehash?: ApiKeyRehash): Promise<void> {
    const previous = this.#lastWritten.get(id);
    if (rehash === undefined && previous !== undefined && at >= previous && at - previous < this.#usageResolutionMs) return;
    this.#lastWritten.delete(id);
    this.#lastWritten.set(id, at);
    if (this.#lastWritten.size > 10_000) this.#lastWritten.delete(this.#lastWritten.keys().next().value as string);
    await this.#store.db
      .updateTable('rampart_api_keys')
      .set({
        last_used_at: sql<number>`CASE WHEN last_used_at IS NULL OR last_used_at < CAST(${at} AS BIGINT) THEN CAST(${at} AS BIGINT) ELSE last_used_at END`,
        ...(rehash === undefined ? {} : { hash: rehash.hash, hash_kid: rehash.hashKid }),
      })
      .where('id', '=', id)
      .execute();
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const result = await this.#store.db
      .updateTable('rampart_api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return affected(result.numUpdatedRows) === 1;
  }

  async listBySubject(subject: string): Promise<ApiKeyRecord[]> {
    const rows = await this.#store.db
      .selectFrom('rampart_api_keys')
      .selectAll()
      .where('subject', '=', subject)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toRecord);
  }
}
