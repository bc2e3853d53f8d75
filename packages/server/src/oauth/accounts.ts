import type { Kysely } from 'kysely';
import type { RampartDatabase } from '../db/schema.js';

/** The OpenID Connect scopes the provider knows; every other scope belongs to a resource server (RFC 8707). */
export const OIDC_SCOPES: readonly string[] = ['openid', 'offline_access', 'email'];

/** Client metadata naming the resource-server scopes a client may receive (oidc-provider's `extraClientMetadata`). */
export const RESOURCE_SCOPES_METADATA = 'rampart_resource_scopes';

/** The claims an account releases, by scope (`openid` → `sub`, `email` → `email`, `email_verified`). */
export const ACCOUNT_CLAIMS = { openid: ['sub'], email: ['email', 'email_verified'] } as const;

/** What oidc-provider's `findAccount` returns. */
export interface ProviderAccount {
  readonly accountId: string;
  claims(): Promise<Record<string, unknown>>;
}

/** The token a lookup is made for, as oidc-provider passes it: issue times in epoch seconds. */
interface TokenTimes {
  readonly iat?: unknown;
  /** A rotated refresh token's first issue time: the whole chain dates from the login. */
  readonly iiat?: unknown;
}

function issuedAt(token: TokenTimes | undefined): number | undefined {
  if (token === undefined) return undefined;
  const value = typeof token.iiat === 'number' ? token.iiat : token.iat;
  return typeof value === 'number' ? value : undefined;
}

/**
 * oidc-provider's `findAccount` over Rampart's accounts (`rampart_users`): `sub` is the account id; `email` and
 * `email_verified` are the only other claims.
 *
 * Protects against tokens outliving what they stood for: a locked or deleted account has no account (the provider then
 * refuses refresh, userinfo and code exchange for it), and a token — or a refresh chain — issued before the account's
 * last password change is refused the same way, so a password reset after a takeover ends the attacker's grants too.
 */
export function accountFinder(db: Kysely<RampartDatabase>) {
  return async (_ctx: unknown, sub: string, token?: TokenTimes): Promise<ProviderAccount | undefined> => {
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 64) return undefined;
    const row = await db
      .selectFrom('rampart_users')
      .select(['id', 'email', 'email_verified_at', 'locked_at', 'password_changed_at'])
      .where('id', '=', sub)
      .executeTakeFirst();
    if (row === undefined || row.locked_at !== null) return undefined;
    const iat = issuedAt(token);
    // Whole seconds, `iat`'s grain: a token minted within the second of the change survives (as the bearer check does).
    if (iat !== undefined && Math.floor(Date.parse(row.password_changed_at) / 1000) > iat) return undefined;
    const claims = { sub: row.id, email: row.email, email_verified: row.email_verified_at !== null };
    return { accountId: row.id, claims: () => Promise.resolve(claims) };
  };
}
