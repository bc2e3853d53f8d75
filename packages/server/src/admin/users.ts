import type { Clock } from '@rampart/core';
import type { SessionManager } from '@rampart/core/session';
import type { ApiKeyInfo, ApiKeys } from '@rampart/core/token';
import { sql } from 'kysely';
import type { SecondFactors, TokenIssuer } from '../auth/contracts.js';
import type { StoreDatabase } from '../stores/sql.js';
import { GLOBAL_TENANT } from '../authz/bindings.js';

/** Most accounts one page lists; `limit` above it is a 400, not silently cut. */
export const MAX_PAGE = 100;
/** Accounts per page when `limit` is absent. */
export const DEFAULT_PAGE = 25;

/** One account in the administrator's list. */
export interface UserSummary {
  readonly id: string;
  readonly email: string;
  readonly emailVerified: boolean;
  readonly locked: boolean;
  readonly createdAt: string;
}

/** One account in detail: profile, factors summary, lock, counts. */
export interface UserDetail extends UserSummary {
  readonly displayName: string | null;
  readonly lockedAt: string | null;
  readonly passwordChangedAt: string;
  readonly globalRoles: readonly string[];
  readonly factors: { readonly totp: boolean; readonly passkeys: number; readonly backupCodes: number };
  readonly sessions: number;
  readonly apiKeys: { readonly live: number; readonly total: number };
}

/** What a lock ended. */
export interface LockOutcome {
  readonly lockedAt: string;
  /** `false` when the account was already locked (everything is ended again all the same). */
  readonly changed: boolean;
  readonly revokedSessions: number;
  readonly revokedTokenFamilies: number;
  readonly revokedApiKeys: number;
}

/** What the user administration is built from. */
export interface AdminUsersDeps {
  readonly database: StoreDatabase;
  readonly sessions: SessionManager;
  readonly tokens: TokenIssuer;
  readonly keys: ApiKeys;
  readonly factors: SecondFactors;
  readonly clock: Clock;
}

/**
 * `LIKE` pattern for "starts with `prefix`": `\`, `%` and `_` are escaped, so an administrator's filter matches only
 * literally (`a_b` does not match `axb`). The pattern is a bound value, never SQL text.
 */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function isLive(key: ApiKeyInfo, now: number): boolean {
  return key.revokedAt === undefined && (key.expiresAt === undefined || key.expiresAt > now);
}

/**
 * The accounts as an administrator sees and changes them. Every query binds its values (Kysely), pages are bounded,
 * and a lock ends every credential the account holds.
 */
export class AdminUsers {
  readonly #deps: AdminUsersDeps;

  constructor(deps: AdminUsersDeps) {
    this.#deps = deps;
  }

  /** One page of accounts ordered by id, after `cursor` (an id), optionally those whose normalized address starts with `emailPrefix`. */
  async list(options: { readonly cursor?: string; readonly limit: number; readonly emailPrefix?: string }): Promise<{ users: UserSummary[]; next: string | null }> {
    let query = this.#deps.database.db
      .selectFrom('rampart_users')
      .select(['id', 'email', 'email_verified_at', 'locked_at', 'created_at'])
      .orderBy('id')
      .limit(options.limit + 1);
    if (options.cursor !== undefined) query = query.where('id', '>', options.cursor);
    // ESCAPE is standard SQL (SQLite and PostgreSQL alike); addresses are stored lower-cased and the filter is too.
    if (options.emailPrefix !== undefined) query = query.where(sql<boolean>`email_normalized LIKE ${likePrefix(options.emailPrefix.toLowerCase())} ESCAPE '\\'`);
    const rows = await query.execute();
    const page = rows.slice(0, options.limit);
    return {
      users: page.map((row) => ({ id: row.id, email: row.email, emailVerified: row.email_verified_at !== null, locked: row.locked_at !== null, createdAt: row.created_at })),
      next: rows.length > options.limit ? (page.at(-1)?.id ?? null) : null,
    };
  }

  /** Whether the account exists. */
  async exists(userId: string): Promise<boolean> {
    const row = await this.#deps.database.db.selectFrom('rampart_users').select('id').where('id', '=', userId).executeTakeFirst();
    return row !== undefined;
  }

  /** The account in detail, or `undefined`. */
  async detail(userId: string): Promise<UserDetail | undefined> {
    const { database, sessions, keys, factors, clock } = this.#deps;
    const row = await database.db
      .selectFrom('rampart_users')
      .select(['id', 'email', 'email_verified_at', 'locked_at', 'created_at', 'display_name', 'password_changed_at'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const roles = await database.db.selectFrom('rampart_role_bindings').select('role').where('user_id', '=', userId).where('tenant', '=', GLOBAL_TENANT).orderBy('role').execute();
    const enrolled = await factors.enrolled(userId);
    const live = await sessions.list(userId);
    const listed = await keys.list(userId);
    const now = clock.now();
    return {
      id: row.id,
      email: row.email,
      emailVerified: row.email_verified_at !== null,
      locked: row.locked_at !== null,
      createdAt: row.created_at,
      displayName: row.display_name,
      lockedAt: row.locked_at,
      passwordChangedAt: row.password_changed_at,
      globalRoles: roles.map((r) => r.role),
      factors: { totp: enrolled.totp, passkeys: enrolled.passkeys, backupCodes: enrolled.backupCodes },
      sessions: live.length,
      apiKeys: { live: listed.filter((key) => isLive(key, now)).length, total: listed.length },
    };
  }

  /**
   * Locks the account, then ends everything it holds: sessions (the session authenticator does not read the lock),
   * refresh-token families and API keys. The lock is written first, so from that moment no login, refresh, access
   * token or API key of the account works (the authenticators read `locked_at`); the revocations make it final. An
   * account already locked is revoked again, which completes a lock a crash interrupted. `undefined`: no such account.
   */
  async lock(userId: string): Promise<LockOutcome | undefined> {
    const { database, sessions, tokens, keys, clock } = this.#deps;
    const at = new Date(clock.now()).toISOString();
    const updated = await database.db.updateTable('rampart_users').set({ locked_at: at, updated_at: at }).where('id', '=', userId).where('locked_at', 'is', null).executeTakeFirst();
    const changed = updated.numUpdatedRows > 0n;
    const row = await database.db.selectFrom('rampart_users').select('locked_at').where('id', '=', userId).executeTakeFirst();
    if (row === undefined) return undefined;
    const revokedSessions = await sessions.revokeAll(userId);
    const revokedTokenFamilies = await tokens.revokeUser(userId, 'account_locked');
    let revokedApiKeys = 0;
    for (const key of await keys.list(userId)) if (key.revokedAt === undefined && (await keys.revoke(key.id))) revokedApiKeys += 1;
    return { lockedAt: row.locked_at ?? at, changed, revokedSessions, revokedTokenFamilies, revokedApiKeys };
  }

  /** Unlocks the account: `true` when it was locked, `false` when it was not, `undefined` when there is no such account. */
  async unlock(userId: string): Promise<boolean | undefined> {
    const { database, clock } = this.#deps;
    const at = new Date(clock.now()).toISOString();
    const updated = await database.db.updateTable('rampart_users').set({ locked_at: null, updated_at: at }).where('id', '=', userId).where('locked_at', 'is not', null).executeTakeFirst();
    if (updated.numUpdatedRows > 0n) return true;
    return (await this.exists(userId)) ? false : undefined;
  }

  /** The account that owns API key `keyId`, or `undefined` when there is no such key. */
  async apiKeyOwner(keyId: string): Promise<string | undefined> {
    const row = await this.#deps.database.db.selectFrom('rampart_api_keys').select('subject').where('id', '=', keyId).executeTakeFirst();
    return row?.subject;
  }

  /** Ends every session and refresh-token family of the account. */
  async revokeSessions(userId: string): Promise<{ revokedSessions: number; revokedTokenFamilies: number }> {
    const revokedSessions = await this.#deps.sessions.revokeAll(userId);
    const revokedTokenFamilies = await this.#deps.tokens.revokeUser(userId, 'logout_everywhere');
    return { revokedSessions, revokedTokenFamilies };
  }
}
