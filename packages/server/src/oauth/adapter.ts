import { errors } from 'oidc-provider';
import { affected, int64, optionalInt64, type StoreDatabase } from '../stores/sql.js';

/** A model instance as oidc-provider hands it to its adapter: a JSON object. */
export type ModelPayload = Record<string, unknown>;

/**
 * The contract oidc-provider expects of an adapter (one instance per model name). Written out here because the
 * provider's own typings describe it loosely; every method is awaited by the provider.
 */
export interface ProviderAdapter {
  upsert(id: string, payload: ModelPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<ModelPayload | undefined>;
  findByUserCode(userCode: string): Promise<ModelPayload | undefined>;
  findByUid(uid: string): Promise<ModelPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/** What the store reports when two requests spent one code or refresh token at the same moment. */
export interface ConsumeRace {
  readonly kind: string;
  readonly grantId: string | undefined;
  readonly clientId: string | undefined;
}

/** A grant as {@link SqlModelStore.grantsOf} returns it. */
export interface StoredGrant {
  readonly id: string;
  readonly clientId: string;
  readonly payload: ModelPayload;
}

/** Options of {@link SqlModelStore}. */
export interface SqlModelStoreOptions {
  /**
   * The provider's clock, in epoch milliseconds. oidc-provider stamps and checks every artifact with the system clock
   * (`Date.now`), so the store's expiry must use the same one: a row swept by another clock would vanish while the
   * provider still considers it valid, or outlive it.
   */
  readonly now?: () => number;
  /** Told when a conditional consume lost to another request (reuse within the same instant): the grant was revoked. */
  readonly onConsumeRace?: (race: ConsumeRace) => void;
}

/** Artifacts whose second use is an attack: their grant is revoked when two requests spend one at once. */
export const GRANT_SOURCES: ReadonlySet<string> = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

/** What oidc-provider issues under a grant: what revoking the grant deletes (its reference adapters' "grantable" kinds). */
export const GRANT_ISSUED: ReadonlySet<string> = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

/** How the provider names each artifact in its own reuse errors (the events read the same words). */
const LABELS: Readonly<Record<string, string>> = {
  AuthorizationCode: 'authorization code',
  RefreshToken: 'refresh token',
  DeviceCode: 'device code',
  BackchannelAuthenticationRequest: 'backchannel authentication request',
};

/** The provider's own answer to a reuse of `kind`: `invalid_grant` for grant artifacts, else `invalid_request`. */
export function consumedError(kind: string): Error {
  const label = LABELS[kind];
  return label === undefined ? new errors.InvalidRequest('request already processed') : new errors.InvalidGrant(`${label} already consumed`);
}

function stringField(payload: ModelPayload, name: string): string | null {
  const value = payload[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * oidc-provider's storage on the server's database (SQLite or PostgreSQL, through Kysely): one table for every model,
 * `rampart_oauth_models`, keyed by `(kind, id)`. Shared by every server process on the database, so any instance can
 * finish a flow another one started.
 *
 * Protects against: an authorization code or refresh token spent twice by two requests racing each other — `consume`
 * is one conditional UPDATE (`consumed_at IS NULL`), so exactly one request wins on both engines, and the loser
 * revokes the whole grant (RFC 6749 §4.1.2, RFC 9700 §4.14.2) and is refused `invalid_grant`, the same answer as a
 * reuse that comes later; expired artifacts found after their time (`find` ignores expired rows, and {@link sweep}
 * deletes them); one model's row read as another's (the kind is part of the key).
 */
export class SqlModelStore {
  readonly #store: StoreDatabase;
  readonly #now: () => number;
  readonly #onConsumeRace: ((race: ConsumeRace) => void) | undefined;

  constructor(store: StoreDatabase, options: SqlModelStoreOptions = {}) {
    this.#store = store;
    this.#now = options.now ?? Date.now;
    this.#onConsumeRace = options.onConsumeRace;
  }

  /** The adapter oidc-provider uses for the model `kind`. */
  adapterFor(kind: string): ProviderAdapter {
    return {
      upsert: (id, payload, expiresIn) => this.upsert(kind, id, payload, expiresIn),
      find: (id) => this.find(kind, id),
      findByUserCode: (userCode) => this.#findBy(kind, 'user_code', userCode),
      findByUid: (uid) => this.#findBy(kind, 'uid', uid),
      consume: (id) => this.consume(kind, id),
      destroy: (id) => this.destroy(kind, id),
      revokeByGrantId: (grantId) => this.revokeByGrantId(grantId),
    };
  }

  /** Stores (or replaces) an instance; `expiresIn` seconds from now, or kept until destroyed. */
  async upsert(kind: string, id: string, payload: ModelPayload, expiresIn?: number): Promise<void> {
    const expiresAt = typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? this.#now() + Math.ceil(expiresIn * 1000) : null;
    const columns = {
      payload: JSON.stringify(payload),
      grant_id: stringField(payload, 'grantId'),
      client_id: stringField(payload, 'clientId'),
      user_code: stringField(payload, 'userCode'),
      uid: stringField(payload, 'uid'),
      account_id: stringField(payload, 'accountId'),
      expires_at: expiresAt,
    };
    // `consumed_at` is left as it is on a replace: a spent artifact stays spent whatever the provider writes back.
    await this.#store.db
      .insertInto('rampart_oauth_models')
      .values({ kind, id, ...columns, consumed_at: null })
      .onConflict((conflict) => conflict.columns(['kind', 'id']).doUpdateSet(columns))
      .execute();
  }

  /** The instance, or `undefined` when unknown or expired. A spent one carries `consumed` (epoch seconds). */
  async find(kind: string, id: string): Promise<ModelPayload | undefined> {
    const row = await this.#store.db
      .selectFrom('rampart_oauth_models')
      .select(['payload', 'expires_at', 'consumed_at'])
      .where('kind', '=', kind)
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : this.#payloadOf(row);
  }

  async #findBy(kind: string, column: 'user_code' | 'uid', value: string): Promise<ModelPayload | undefined> {
    const row = await this.#store.db
      .selectFrom('rampart_oauth_models')
      .select(['payload', 'expires_at', 'consumed_at'])
      .where('kind', '=', kind)
      .where(column, '=', value)
      .executeTakeFirst();
    return row === undefined ? undefined : this.#payloadOf(row);
  }

  #payloadOf(row: { payload: string; expires_at: number | string | null; consumed_at: number | string | null }): ModelPayload | undefined {
    const expiresAt = optionalInt64(row.expires_at);
    if (expiresAt !== undefined && expiresAt <= this.#now()) return undefined;
    const payload = JSON.parse(row.payload) as unknown;
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
    const consumedAt = optionalInt64(row.consumed_at);
    return consumedAt === undefined ? (payload as ModelPayload) : { ...(payload as ModelPayload), consumed: Math.floor(consumedAt / 1000) };
  }

  /**
   * Marks an instance spent, once. The provider checks `consumed` before calling this; when another request spent it
   * in between (both read it unspent), this one loses the conditional UPDATE: the grant is revoked and the request is
   * refused as a reuse.
   */
  async consume(kind: string, id: string): Promise<void> {
    const spent = await this.#store.db
      .updateTable('rampart_oauth_models')
      .set({ consumed_at: this.#now() })
      .where('kind', '=', kind)
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    if (affected(spent.numUpdatedRows) === 1) return;
    const row = await this.#store.db
      .selectFrom('rampart_oauth_models')
      .select(['grant_id', 'client_id'])
      .where('kind', '=', kind)
      .where('id', '=', id)
      .executeTakeFirst();
    const grantId = row?.grant_id ?? undefined;
    if (GRANT_SOURCES.has(kind) && grantId !== undefined) await this.revokeGrant(grantId);
    this.#onConsumeRace?.({ kind, grantId, clientId: row?.client_id ?? undefined });
    throw consumedError(kind);
  }

  async destroy(kind: string, id: string): Promise<void> {
    await this.#store.db.deleteFrom('rampart_oauth_models').where('kind', '=', kind).where('id', '=', id).execute();
  }

  /**
   * Deletes every artifact issued under a grant (codes, access and refresh tokens, device and CIBA requests); the
   * provider destroys the grant itself. Only those kinds: an interaction in progress carries its grant's id too, and a
   * logout that ends the grant's tokens must not end the sign-in that caused it (the provider's own account switch).
   */
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#store.db.deleteFrom('rampart_oauth_models').where('grant_id', '=', grantId).where('kind', 'in', [...GRANT_ISSUED]).execute();
  }

  /** Deletes every artifact issued to a client (its tokens, codes and grants): the client was deleted. */
  async revokeByClientId(clientId: string): Promise<number> {
    const deleted = await this.#store.db.deleteFrom('rampart_oauth_models').where('client_id', '=', clientId).executeTakeFirst();
    return affected(deleted.numDeletedRows);
  }

  /** Revokes a grant: what it issued, then the grant itself (a reuse was detected). */
  async revokeGrant(grantId: string): Promise<void> {
    await this.revokeByGrantId(grantId);
    await this.destroy('Grant', grantId);
  }

  /**
   * The live grants (the provider's `Grant`: what a user consented to a client) of `accountId`, for one client or all,
   * the most recently stored first: ids, clients and payloads. At most `limit` (default 500).
   */
  async grantsOf(accountId: string, options: { readonly clientId?: string; readonly limit?: number } = {}): Promise<readonly StoredGrant[]> {
    let query = this.#store.db
      .selectFrom('rampart_oauth_models')
      .select(['id', 'client_id', 'payload', 'expires_at', 'consumed_at'])
      .where('kind', '=', 'Grant')
      .where('account_id', '=', accountId)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', this.#now())]));
    if (options.clientId !== undefined) query = query.where('client_id', '=', options.clientId);
    const rows = await query.orderBy('expires_at', 'desc').orderBy('id').limit(Math.min(Math.max(1, options.limit ?? 500), 500)).execute();
    const grants: StoredGrant[] = [];
    for (const row of rows) {
      const payload = this.#payloadOf(row);
      if (payload === undefined || row.client_id === null) continue;
      grants.push({ id: row.id, clientId: row.client_id, payload });
    }
    return grants;
  }

  /** Deletes expired rows; returns how many. Run on a timer by the module. */
  async sweep(): Promise<number> {
    const deleted = await this.#store.db
      .deleteFrom('rampart_oauth_models')
      .where('expires_at', 'is not', null)
      .where('expires_at', '<=', this.#now())
      .executeTakeFirst();
    return affected(deleted.numDeletedRows);
  }

  /** How many rows of `kind` are stored (expired ones included): for tests and operator tooling. */
  async count(kind?: string): Promise<number> {
    let query = this.#store.db.selectFrom('rampart_oauth_models').select((eb) => eb.fn.countAll<number | string>().as('n'));
    if (kind !== undefined) query = query.where('kind', '=', kind);
    const row = await query.executeTakeFirstOrThrow();
    return int64(row.n);
  }
}
