import type { Clock, SecurityEventSink } from '@rampart/core';
import type { KeyRing } from '@rampart/core/crypto';
import { RampartError } from '@rampart/core';
import { ApiKeys, type ApiKeyInfo, type ApiKeyRecord, type ApiKeyRehash, type ApiKeyStore } from '@rampart/core/token';
import { sql } from 'kysely';
import { SqlApiKeyStore } from '../../stores/api-key-store.js';
import { writeTransaction, type StoreDatabase } from '../../stores/sql.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * What an API key may be narrowed to. Keys are for services calling the decision API; nothing else of the server
 * accepts an API key (account, key and admin routes take a session or an access token only).
 */
export const API_KEY_SCOPES = [
  /** `POST /v1/authz/check`. */
  'authz:check',
  /** `POST /v1/authz/check/batch`. */
  'authz:check:batch',
  /** `explain: true` on a check: the trace names every rule and condition of the policy, so it is granted apart. */
  'authz:explain',
] as const;

/** One of {@link API_KEY_SCOPES}. */
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** Lifetime of a key created without `expiresAt`: 90 days. */
export const API_KEY_DEFAULT_TTL_MS = 90 * DAY_MS;
/** Longest lifetime a key may be given: 1 year. Keys that never expire are not offered. */
export const API_KEY_MAX_TTL_MS = 365 * DAY_MS;
/** Most live (unrevoked, unexpired) keys one account may hold. */
export const MAX_LIVE_KEYS_PER_USER = 25;

/** First key of the advisory lock that serializes one account's key creations on PostgreSQL ("RAPK"). */
const USER_LOCK_CLASS = 0x5241504b;

/** Thrown by {@link BoundedApiKeyStore.insert} when the account holds {@link MAX_LIVE_KEYS_PER_USER} live keys. */
export class ApiKeyLimitError extends RampartError {
  constructor() {
    super('APIKEY_LIMIT', `an account may hold at most ${MAX_LIVE_KEYS_PER_USER} live API keys`);
  }
}

/**
 * The SQL API key store with a bound on live keys per account, checked and written in one write transaction (SQLite
 * `BEGIN IMMEDIATE`, PostgreSQL a per-account advisory lock), so concurrent creations cannot each see "below the
 * limit". Protects against one account (or a stolen session) filling the table with keys.
 */
export class BoundedApiKeyStore implements ApiKeyStore {
  readonly #database: StoreDatabase;
  readonly #plain: SqlApiKeyStore;

  constructor(database: StoreDatabase) {
    this.#database = database;
    this.#plain = new SqlApiKeyStore(database);
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    await writeTransaction(this.#database, async (trx) => {
      if (this.#database.kind === 'postgres') await sql`SELECT pg_advisory_xact_lock(${USER_LOCK_CLASS}, hashtext(${record.subject}))`.execute(trx);
      const live = await trx
        .selectFrom('rampart_api_keys')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('subject', '=', record.subject)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', record.createdAt)]))
        .executeTakeFirstOrThrow();
      if (Number(live.n) >= MAX_LIVE_KEYS_PER_USER) throw new ApiKeyLimitError();
      await new SqlApiKeyStore({ kind: this.#database.kind, db: trx }).insert(record);
    });
  }

  findById(id: string): Promise<ApiKeyRecord | undefined> {
    return this.#plain.findById(id);
  }

  markUsed(id: string, at: number, rehash?: ApiKeyRehash): Promise<void> {
    return this.#plain.markUsed(id, at, rehash);
  }

  revoke(id: string, at: number): Promise<boolean> {
    return this.#plain.revoke(id, at);
  }

  listBySubject(subject: string): Promise<ApiKeyRecord[]> {
    return this.#plain.listBySubject(subject);
  }
}

/** Core's API keys on the server's database: prefix `rpk`, HMAC under the KEK's ring, 90-day default, 1-year maximum. */
export function serverApiKeys(database: StoreDatabase, ring: KeyRing, clock: Clock, events: SecurityEventSink): ApiKeys {
  return new ApiKeys({ store: new BoundedApiKeyStore(database), ring, clock, events, defaultTtlMs: API_KEY_DEFAULT_TTL_MS, maxTtlMs: API_KEY_MAX_TTL_MS });
}

/** The public view of a key (the list and create answers): never the secret, the hash or its kid. */
export function publicKeyView(info: ApiKeyInfo): Record<string, unknown> {
  return {
    id: info.id,
    name: info.name ?? null,
    prefix: info.prefix,
    scopes: info.scopes,
    createdAt: new Date(info.createdAt).toISOString(),
    expiresAt: info.expiresAt === undefined ? null : new Date(info.expiresAt).toISOString(),
    lastUsedAt: info.lastUsedAt === undefined ? null : new Date(info.lastUsedAt).toISOString(),
    revokedAt: info.revokedAt === undefined ? null : new Date(info.revokedAt).toISOString(),
  };
}
