import type { Clock } from '@rampart/core';
import type { Kysely } from 'kysely';
import type { LoginDelivery, PendingLogin } from '../auth/contracts.js';
import type { AuthMethod } from '../auth/identity.js';
import type { RampartDatabase } from '../db/schema.js';
import { affected, int64 } from '../stores/sql.js';
import { issueLoginToken, LOGIN_TOKEN_PATTERN, loginTokenHash } from './login-token.js';

/** Second-factor attempts one pending login allows; the next attempt finds it dead. */
export const MAX_SECOND_FACTOR_ATTEMPTS = 5;

/** How long the second step may take after the password (5 minutes). */
export const PENDING_LOGIN_TTL_MS = 5 * 60_000;

const TOKEN = new RegExp(LOGIN_TOKEN_PATTERN);
const METHODS: ReadonlySet<string> = new Set<AuthMethod>(['pwd', 'otp', 'kba', 'hwk', 'swk', 'user', 'mfa']);

interface PendingRow {
  readonly user_id: string;
  readonly amr: string;
  readonly auth_time: number | string;
  readonly delivery: string;
}

function pendingOf(row: PendingRow): PendingLogin {
  const parsed: unknown = JSON.parse(row.amr);
  const amr = Array.isArray(parsed) ? parsed.filter((m): m is AuthMethod => typeof m === 'string' && METHODS.has(m)) : [];
  const delivery: LoginDelivery = row.delivery === 'tokens' ? 'tokens' : 'session';
  return { userId: row.user_id, amr, authTime: int64(row.auth_time), delivery };
}

/** The token's stored form, or `undefined` for anything that is not a login token (never hashed, never looked up). */
function hashOf(token: unknown): string | undefined {
  return typeof token === 'string' && TOKEN.test(token) ? loginTokenHash(token) : undefined;
}

/**
 * Pending logins: the state between a verified password and a verified second factor, in `rampart_pending_logins`.
 *
 * Protects against skipping the second factor (the token alone is no credential: only {@link spend} after a verified
 * factor turns it into a session), against guessing the factor through one pending login (an attempt counter raised by
 * one conditional UPDATE, so parallel guesses cannot share one count), against a token completing twice (spent by one
 * conditional UPDATE: of two concurrent completions exactly one gets the row), and against stolen tokens living on
 * (five minutes, single use, only the SHA-256 stored).
 */
export class PendingLogins {
  readonly #db: Kysely<RampartDatabase>;
  readonly #clock: Clock;

  constructor(db: Kysely<RampartDatabase>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  /** Stores a pending login and returns its token (the only copy: only the hash is kept). */
  async create(pending: PendingLogin): Promise<string> {
    const now = this.#clock.now();
    // Expired rows are worthless: dropped here so the table holds at most five minutes of logins.
    await this.deleteExpired();
    const issued = issueLoginToken();
    await this.#db
      .insertInto('rampart_pending_logins')
      .values({
        token_hash: issued.hash,
        user_id: pending.userId,
        amr: JSON.stringify(pending.amr),
        auth_time: pending.authTime,
        delivery: pending.delivery,
        attempts: 0,
        created_at: now,
        expires_at: now + PENDING_LOGIN_TTL_MS,
        used_at: null,
      })
      .execute();
    return issued.token;
  }

  /** Counts one attempt against the login and returns it; `undefined` when it is unknown, expired, spent or out of attempts. */
  async attempt(token: unknown): Promise<PendingLogin | undefined> {
    const hash = hashOf(token);
    if (hash === undefined) return undefined;
    const row = await this.#db
      .updateTable('rampart_pending_logins')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('token_hash', '=', hash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', this.#clock.now())
      .where('attempts', '<', MAX_SECOND_FACTOR_ATTEMPTS)
      .returning(['user_id', 'amr', 'auth_time', 'delivery'])
      .executeTakeFirst();
    return row === undefined ? undefined : pendingOf(row);
  }

  /**
   * The pending login `token` names, without counting an attempt: for a page that shows which methods to offer.
   * `undefined` when it is unknown, expired, spent or out of attempts (the same cases {@link attempt} refuses).
   */
  async peek(token: unknown): Promise<PendingLogin | undefined> {
    const hash = hashOf(token);
    if (hash === undefined) return undefined;
    const row = await this.#db
      .selectFrom('rampart_pending_logins')
      .select(['user_id', 'amr', 'auth_time', 'delivery'])
      .where('token_hash', '=', hash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', this.#clock.now())
      .where('attempts', '<', MAX_SECOND_FACTOR_ATTEMPTS)
      .executeTakeFirst();
    return row === undefined ? undefined : pendingOf(row);
  }

  /**
   * Spends the login: one conditional UPDATE (unspent, unexpired, an attempt counted and not beyond the maximum), so of
   * concurrent completions exactly one gets the row. `undefined` when nothing was spent.
   */
  async spend(token: unknown): Promise<PendingLogin | undefined> {
    const hash = hashOf(token);
    if (hash === undefined) return undefined;
    const now = this.#clock.now();
    const row = await this.#db
      .updateTable('rampart_pending_logins')
      .set({ used_at: now })
      .where('token_hash', '=', hash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .where('attempts', '>', 0)
      .where('attempts', '<=', MAX_SECOND_FACTOR_ATTEMPTS)
      .returning(['user_id', 'amr', 'auth_time', 'delivery'])
      .executeTakeFirst();
    return row === undefined ? undefined : pendingOf(row);
  }

  /** Ends every open pending login of a user (the password they proved has just changed). Returns how many. */
  async endAll(userId: string): Promise<number> {
    const result = await this.#db
      .updateTable('rampart_pending_logins')
      .set({ used_at: this.#clock.now() })
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return affected(result.numUpdatedRows);
  }

  /** Deletes expired rows. Returns how many. */
  async deleteExpired(): Promise<number> {
    const result = await this.#db.deleteFrom('rampart_pending_logins').where('expires_at', '<=', this.#clock.now()).executeTakeFirst();
    return affected(result.numDeletedRows);
  }
}
