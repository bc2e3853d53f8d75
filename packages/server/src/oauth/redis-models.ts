import type { Redis } from 'ioredis';
import { consumedError, GRANT_ISSUED, GRANT_SOURCES, type ConsumeRace, type ModelPayload, type ProviderAdapter, type SqlModelStore } from './adapter.js';

/**
 * The provider's short-lived models, kept in Redis when the server has one: every sign-in's browser session and
 * interaction, every authorization code, pushed authorization request and DPoP proof id (`ReplayDetection`). They are
 * written and read on every step of a flow and expire within minutes (a session within its lifetime), which is what
 * Redis is for; grants and refresh tokens — long-lived, listed per account, revoked per grant — stay in SQL.
 *
 * Losing Redis loses these (users sign in again, flows in progress restart): nothing that outlives a sign-in is kept here.
 */
export const REDIS_MODELS: ReadonlySet<string> = new Set(['Session', 'Interaction', 'AuthorizationCode', 'PushedAuthorizationRequest', 'ReplayDetection']);

/** Options of {@link RedisModelStore}. */
export interface RedisModelStoreOptions {
  readonly client: Redis;
  /** Key prefix of the server's Redis keys (`RAMPART_REDIS_KEY_PREFIX`); the store adds `:oidc`. */
  readonly prefix: string;
  /** Revokes what a grant issued outside Redis (refresh and access tokens, the grant itself): a raced code's grant. */
  readonly revokeGrantElsewhere: (grantId: string) => Promise<void>;
  readonly onConsumeRace?: (race: ConsumeRace) => void;
}

// Every script runs atomically in Redis: an instance, its uid index and its grant/client index sets change together.
// KEYS: instance, uid index, grant set, client set (an unused index is passed as its own placeholder key and skipped).
// ARGV: payload, ttl ms (0: no expiry), set member, id, grant id, client id, uid flag, grant flag, client flag.
const UPSERT = `
local ttl = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'p', ARGV[1], 'g', ARGV[5], 'c', ARGV[6])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
if ARGV[7] == '1' then
  if ttl > 0 then redis.call('SET', KEYS[2], ARGV[4], 'PX', ttl) else redis.call('SET', KEYS[2], ARGV[4]) end
end
for i = 3, 4 do
  if ARGV[i + 5] == '1' then
    redis.call('SADD', KEYS[i], ARGV[3])
    local left = redis.call('PTTL', KEYS[i])
    if ttl == 0 then redis.call('PERSIST', KEYS[i])
    elseif left ~= -1 and left < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
  end
end
return 1
`;

// KEYS: instance. ARGV: now (ms). 1 = this call spent it; 0 = already spent or gone (the loser of a race).
const CONSUME = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 's', ARGV[1])
`;

// KEYS: index set. ARGV: instance key prefix, then the kinds to delete. Deletes those members' instances; returns how many.
const REVOKE = `
local deleted = 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local kind = string.match(member, '^([^:]+):')
  local wanted = #ARGV == 1
  for i = 2, #ARGV do if ARGV[i] == kind then wanted = true end end
  if wanted then
    deleted = deleted + redis.call('DEL', ARGV[1] .. member)
    redis.call('SREM', KEYS[1], member)
  end
end
return deleted
`;

type Scripts = Redis & {
  rampartOidcUpsert(...args: (string | number)[]): Promise<number>;
  rampartOidcConsume(key: string, now: number): Promise<number>;
  rampartOidcRevoke(...args: string[]): Promise<number>;
};

function stringField(payload: ModelPayload, name: string): string {
  const value = payload[name];
  return typeof value === 'string' ? value : '';
}

/**
 * oidc-provider's storage for its short-lived models ({@link REDIS_MODELS}) on Redis, shared by every instance.
 *
 * Protects against: an authorization code or pushed request spent twice by two requests racing each other on two
 * instances — `consume` is one atomic `HSETNX`, exactly one request wins, and the loser revokes the whole grant (here
 * and in SQL) and is refused as a reuse (RFC 9700 §4.14.2); an instance outliving its lifetime (Redis expires it; `find`
 * never sees it); one model's instance read as another's (the kind is part of the key); a session found by a uid that
 * now belongs to another session (the payload's uid must match).
 */
export class RedisModelStore {
  readonly #client: Scripts;
  readonly #prefix: string;
  readonly #options: RedisModelStoreOptions;

  constructor(options: RedisModelStoreOptions) {
    this.#options = options;
    this.#prefix = `${options.prefix}:oidc`;
    const client = options.client as Scripts;
    if (typeof client.rampartOidcUpsert !== 'function') {
      client.defineCommand('rampartOidcUpsert', { numberOfKeys: 4, lua: UPSERT });
      client.defineCommand('rampartOidcConsume', { numberOfKeys: 1, lua: CONSUME });
      client.defineCommand('rampartOidcRevoke', { numberOfKeys: 1, lua: REVOKE });
    }
    this.#client = client;
  }

  /** The adapter oidc-provider uses for the model `kind` (one of {@link REDIS_MODELS}). */
  adapterFor(kind: string): ProviderAdapter {
    return {
      upsert: (id, payload, expiresIn) => this.upsert(kind, id, payload, expiresIn),
      find: (id) => this.find(kind, id),
      findByUid: (uid) => this.#findByUid(kind, uid),
      // Device codes (the only model found by user code) are not kept here.
      findByUserCode: () => Promise.resolve(undefined),
      consume: (id) => this.consume(kind, id),
      destroy: (id) => this.destroy(kind, id),
      revokeByGrantId: async (grantId) => {
        await this.revokeByGrantId(grantId);
      },
    };
  }

  #key(kind: string, id: string): string {
    return `${this.#prefix}:m:${kind}:${id}`;
  }

  /** Stores (or replaces) an instance for `expiresIn` seconds; a spent instance stays spent. */
  async upsert(kind: string, id: string, payload: ModelPayload, expiresIn?: number): Promise<void> {
    const ttl = typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? Math.ceil(expiresIn * 1000) : 0;
    const uid = stringField(payload, 'uid');
    const grantId = stringField(payload, 'grantId');
    const clientId = stringField(payload, 'clientId');
    const key = this.#key(kind, id);
    await this.#client.rampartOidcUpsert(
      key,
      uid === '' ? key : `${this.#prefix}:uid:${kind}:${uid}`,
      grantId === '' ? key : `${this.#prefix}:grant:${grantId}`,
      clientId === '' ? key : `${this.#prefix}:client:${clientId}`,
      JSON.stringify(payload),
      ttl,
      `${kind}:${id}`,
      id,
      grantId,
      clientId,
      uid === '' ? '0' : '1',
      grantId === '' ? '0' : '1',
      clientId === '' ? '0' : '1',
    );
  }

  /** The instance, or `undefined` when unknown or expired. A spent one carries `consumed` (epoch seconds). */
  async find(kind: string, id: string): Promise<ModelPayload | undefined> {
    const [text, spentAt] = await this.#client.hmget(this.#key(kind, id), 'p', 's');
    if (text === null || text === undefined) return undefined;
    const payload = JSON.parse(text) as unknown;
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
    return spentAt === null || spentAt === undefined ? (payload as ModelPayload) : { ...(payload as ModelPayload), consumed: Math.floor(Number(spentAt) / 1000) };
  }

  async #findByUid(kind: string, uid: string): Promise<ModelPayload | undefined> {
    const id = await this.#client.get(`${this.#prefix}:uid:${kind}:${uid}`);
    if (id === null) return undefined;
    const payload = await this.find(kind, id);
    return payload !== undefined && payload.uid === uid ? payload : undefined;
  }

  /**
   * Marks an instance spent, once. When another request spent it first (both read it unspent), this one loses: the
   * grant is revoked everywhere and the request is refused as a reuse.
   */
  async consume(kind: string, id: string): Promise<void> {
    const key = this.#key(kind, id);
    if ((await this.#client.rampartOidcConsume(key, Date.now())) === 1) return;
    const [grant, client] = await this.#client.hmget(key, 'g', 'c');
    const grantId = grant === null || grant === undefined || grant === '' ? undefined : grant;
    if (GRANT_SOURCES.has(kind) && grantId !== undefined) {
      await this.revokeByGrantId(grantId);
      await this.#options.revokeGrantElsewhere(grantId);
    }
    this.#options.onConsumeRace?.({ kind, grantId, clientId: client === null || client === undefined || client === '' ? undefined : client });
    throw consumedError(kind);
  }

  async destroy(kind: string, id: string): Promise<void> {
    await this.#client.del(this.#key(kind, id));
  }

  /** Deletes what a grant issued here (its authorization codes); an interaction carrying the grant's id stays. */
  async revokeByGrantId(grantId: string): Promise<number> {
    return this.#client.rampartOidcRevoke(`${this.#prefix}:grant:${grantId}`, `${this.#prefix}:m:`, ...GRANT_ISSUED);
  }

  /** Deletes everything kept here for a client (the client was deleted). Returns how many. */
  async revokeByClientId(clientId: string): Promise<number> {
    return this.#client.rampartOidcRevoke(`${this.#prefix}:client:${clientId}`, `${this.#prefix}:m:`);
  }
}

/**
 * Where each of the provider's models is kept: {@link REDIS_MODELS} in Redis when the server has one, everything
 * else (and everything without Redis) in SQL.
 */
export interface ProviderModels {
  adapterFor(kind: string): ProviderAdapter;
  /** Deletes what was issued to a deleted client, wherever it is kept. */
  revokeByClientId(clientId: string): Promise<number>;
}

/** Routes the provider's models to SQL, and their short-lived ones to Redis when `redis` is given. */
export function providerModels(sql: SqlModelStore, redis: Omit<RedisModelStoreOptions, 'revokeGrantElsewhere'> | undefined): ProviderModels {
  if (redis === undefined) return { adapterFor: (kind) => sql.adapterFor(kind), revokeByClientId: (clientId) => sql.revokeByClientId(clientId) };
  const short = new RedisModelStore({ ...redis, revokeGrantElsewhere: (grantId) => sql.revokeGrant(grantId) });
  return {
    adapterFor: (kind) => (REDIS_MODELS.has(kind) ? short.adapterFor(kind) : sql.adapterFor(kind)),
    revokeByClientId: async (clientId) => (await sql.revokeByClientId(clientId)) + (await short.revokeByClientId(clientId)),
  };
}
