import type { Clock } from '@rampart/core';
import type { ApiKeyInfo, ApiKeys } from '@rampart/core/token';
import type { ServerContext } from '../../context.js';
import { API_KEY_DEFAULT_TTL_MS, API_KEY_MAX_TTL_MS, ApiKeyLimitError, serverApiKeys, type ApiKeyScope } from './keys.js';

/** Shortest lifetime a key may be given: one minute (anything shorter is a mistake, not a use). */
export const API_KEY_MIN_TTL_MS = 60_000;
/** Most keys listed (live ones are bounded; revoked and expired ones stay for the owner's review). */
export const MAX_LISTED_KEYS = 100;

/** What the owner asks for. The subject is never part of it: it is the caller's own account. */
export interface ApiKeyRequest {
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  /** Epoch ms; default {@link API_KEY_DEFAULT_TTL_MS} from now. */
  readonly expiresAt?: number;
}

/** A key just created: its public view and the secret, which exists in clear only in this value. */
export interface CreatedApiKey {
  readonly info: ApiKeyInfo;
  readonly key: string;
}

/** The outcome of {@link AccountApiKeys.create}. */
export type ApiKeyCreation =
  | { readonly ok: true; readonly created: CreatedApiKey }
  /** `expiry_invalid`: in the past, under a minute or over a year away; `limit_reached`: 25 live keys already. */
  | { readonly ok: false; readonly reason: 'expiry_invalid' | 'limit_reached' };

/**
 * The signed-in owner's API keys: create, list, revoke. One implementation for the JSON routes (`/v1/api-keys`) and
 * the account pages; the callers check the credential and step-up first.
 *
 * Protects against immortal or over-long keys (a lifetime between one minute and one year, 90 days by default), one
 * account filling the table (core's store refuses the 26th live key, atomically), and IDOR (a key is revoked only when
 * it is among the caller's own: another account's id reads as unknown and nothing changes).
 */
export class AccountApiKeys {
  readonly #keys: ApiKeys;
  readonly #clock: Clock;

  constructor(keys: ApiKeys, clock: Clock) {
    this.#keys = keys;
    this.#clock = clock;
  }

  /** Creates a key for `userId`; the secret is returned once and stored only as a keyed hash (core's `ApiKeys`). */
  async create(userId: string, request: ApiKeyRequest): Promise<ApiKeyCreation> {
    const ttlMs = request.expiresAt === undefined ? API_KEY_DEFAULT_TTL_MS : request.expiresAt - this.#clock.now();
    if (!Number.isSafeInteger(ttlMs) || ttlMs < API_KEY_MIN_TTL_MS || ttlMs > API_KEY_MAX_TTL_MS) return { ok: false, reason: 'expiry_invalid' };
    try {
      const created = await this.#keys.create({ subject: userId, name: request.name, scopes: request.scopes, ttlMs });
      return { ok: true, created: { info: created.info, key: created.key } };
    } catch (error) {
      if (error instanceof ApiKeyLimitError) return { ok: false, reason: 'limit_reached' };
      throw error;
    }
  }

  /** The user's keys, newest first, at most {@link MAX_LISTED_KEYS}: public views only (no secret, no hash). */
  async list(userId: string): Promise<ApiKeyInfo[]> {
    const listed = await this.#keys.list(userId);
    return listed.sort((a, b) => b.createdAt - a.createdAt).slice(0, MAX_LISTED_KEYS);
  }

  /**
   * Revokes the user's key `id`. `false` when it is not one of theirs (unknown, malformed or another account's: one
   * answer). Idempotent for their own keys; core emits the event for the first revocation only.
   */
  async revoke(userId: string, id: string): Promise<boolean> {
    const own = (await this.#keys.list(userId)).find((key) => key.id === id);
    if (own === undefined) return false;
    await this.#keys.revoke(own.id);
    return true;
  }
}

/**
 * The account API keys on the server's own store and key ring — the construction the authorization module's routes
 * use — for the account pages.
 */
export function accountApiKeys(ctx: ServerContext): AccountApiKeys {
  return new AccountApiKeys(serverApiKeys(ctx.database, ctx.ring, ctx.clock, ctx.events), ctx.clock);
}
