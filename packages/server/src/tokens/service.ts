import { fail, ok, RampartError, type Clock, type Result, type SecurityEventSink, type SecurityEventType } from '@rampart/core';
import { createJwtIssuer, hashRefreshToken, type JwtIssuer, type JwtKeySet, type RefreshTokens, type RefreshTokenStore } from '@rampart/core/token';
import type { Kysely } from 'kysely';
import type { LoginFacts, TokenIssuer, TokenResponse } from '../auth/contracts.js';
import type { RampartDatabase } from '../db/schema.js';
import { accountState } from './account-state.js';
import type { GrantFacts, GrantStore } from './grants.js';
import type { ReloadingKeySet } from './key-source.js';
import { scopeTokens, withinScope } from './scope.js';

/**
 * The `acr` (RFC 9068 §2.2.1) of a token minted from a login that proved every factor the account required. `amr`
 * alone cannot say so: `["pwd"]` is a complete login for an account without a second factor and an incomplete one for
 * an account with one, and only the login flow knows which.
 */
export const ACR_COMPLETE = 'urn:rampart:acr:complete';

/** Options of {@link issue}: what a caller may narrow a login's tokens to. */
export interface IssueOptions {
  /** Scope tokens (RFC 6749 §3.3 syntax) the tokens are narrowed to; absent: an unnarrowed first-party login. */
  readonly scope?: readonly string[];
}

/** The token module's issuer: the kernel's {@link TokenIssuer}, plus the refresh and revocation grants. */
export interface ServerTokenIssuer extends TokenIssuer {
  issue(facts: LoginFacts, options?: IssueOptions): Promise<TokenResponse>;
  /**
   * RFC 6749 §6: exchanges a refresh token for a new pair (rotation). `scope`, when given, narrows the new access token
   * and must lie within the granted scope. Every refusal of the token itself is `invalid_grant`.
   */
  refresh(presented: string, scope?: readonly string[]): Promise<Result<TokenResponse, 'invalid_grant' | 'invalid_scope'>>;
  /** RFC 7009: ends the family of `presented`; silently nothing for an unknown token. */
  revoke(presented: string): Promise<void>;
}

/** What {@link createTokenService} is built from. */
export interface TokenServiceDeps {
  readonly db: Kysely<RampartDatabase>;
  readonly keys: ReloadingKeySet;
  readonly refreshTokens: RefreshTokens;
  readonly refreshStore: RefreshTokenStore;
  readonly grants: GrantStore;
  readonly events: SecurityEventSink;
  readonly clock: Clock;
  /** `iss`: the server's public URL. */
  readonly issuer: string;
  readonly audience: readonly string[];
  /** `client_id` of first-party logins. */
  readonly clientId: string;
  readonly accessTokenTtlSeconds: number;
}

/**
 * Mints RFC 9068 access tokens and core refresh-token families for completed logins, exchanges refresh tokens, and
 * revokes families.
 *
 * Protects against: a refresh that outlives the account's lock or deletion (checked on every exchange, the family is
 * revoked); a refresh that widens the login's scope or factors (the facts are fixed per family); a stolen refresh token
 * used after its owner (core's rotation with reuse detection revokes the whole family); tokens that cannot be traced
 * (`token.issued` names the family and the `jti`, never a token).
 */
export function createTokenService(deps: TokenServiceDeps): ServerTokenIssuer {
  const { clock, events } = deps;
  const issuers = new WeakMap<JwtKeySet, JwtIssuer>();

  const emit = (type: SecurityEventType, subject: string, attributes: Readonly<Record<string, string | number | boolean>>): void => {
    try {
      events({ type, at: new Date(clock.now()), subject, attributes });
    } catch {
      // A failing sink must not change the outcome (events.ts contract).
    }
  };

  // One core issuer per key set: a reload swaps the set, and the next token is signed by the new active key.
  function jwtIssuer(): JwtIssuer {
    const set = deps.keys.keys;
    let issuer = issuers.get(set);
    if (issuer === undefined) {
      issuer = createJwtIssuer({ keys: set, issuer: deps.issuer, audience: deps.audience, ttlSeconds: deps.accessTokenTtlSeconds, clock });
      issuers.set(set, issuer);
    }
    return issuer;
  }

  function mint(grant: GrantFacts, scope: readonly string[] | undefined): { readonly token: string; readonly jti: string; readonly kid: string } {
    return jwtIssuer().issueAccessToken({
      sub: grant.userId,
      client_id: grant.clientId,
      auth_time: Math.floor(grant.authTime / 1000),
      amr: [...grant.amr],
      ...(grant.complete ? { acr: ACR_COMPLETE } : {}),
      ...(scope === undefined ? {} : { scope: scope.join(' ') }),
    });
  }

  function response(accessToken: string, refreshToken: string, scope: readonly string[] | undefined): TokenResponse {
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: deps.accessTokenTtlSeconds,
      refresh_token: refreshToken,
      ...(scope === undefined ? {} : { scope: scope.join(' ') }),
    };
  }

  async function refuseFamily(familyId: string): Promise<Result<never, 'invalid_grant'>> {
    await deps.refreshTokens.revokeFamily(familyId, 'administrative');
    return fail('invalid_grant');
  }

  return {
    async issue(facts, options = {}) {
      if (typeof facts.userId !== 'string' || facts.userId === '' || !Number.isSafeInteger(facts.authTime) || facts.amr.length === 0) {
        throw new RampartError('TOKEN_FACTS_INVALID', 'login facts need a user, a first-factor time and at least one method');
      }
      let scope: readonly string[] | undefined;
      if (options.scope !== undefined) {
        scope = scopeTokens(options.scope.join(' '));
        if (scope === undefined) throw new RampartError('TOKEN_SCOPE_INVALID', 'scope tokens must follow RFC 6749 §3.3');
      }
      const now = clock.now();
      const family = await deps.refreshTokens.issue(facts.userId);
      const grant: GrantFacts = {
        familyId: family.familyId,
        userId: facts.userId,
        clientId: deps.clientId,
        scope,
        amr: facts.amr,
        authTime: facts.authTime,
        complete: facts.fullyAuthenticatedAt >= facts.authTime,
      };
      try {
        await deps.grants.insert(grant, now);
      } catch (error) {
        // A family without its facts can never be refreshed: end it rather than leave a token that only fails later.
        await deps.refreshTokens.revokeFamily(family.familyId, 'administrative');
        throw error;
      }
      const access = mint(grant, scope);
      emit('token.issued', facts.userId, { familyId: family.familyId, jti: access.jti, kid: access.kid, clientId: deps.clientId });
      return response(access.token, family.token, scope);
    },

    async refresh(presented, requestedScope) {
      if (requestedScope !== undefined) {
        // Checked before the exchange: refusing after it would leave the client holding a spent token, whose next use
        // would read as reuse and end the login.
        const entry = await deps.refreshStore.findByHash(hashRefreshToken(presented));
        if (entry === undefined) return fail('invalid_grant');
        const granted = await deps.grants.find(entry.family.id);
        if (granted === undefined) return fail('invalid_grant');
        if (!withinScope(requestedScope, granted.scope)) return fail('invalid_scope');
      }
      const exchanged = await deps.refreshTokens.refresh(presented);
      if (!exchanged.ok) return fail('invalid_grant');
      const { familyId, subject } = exchanged.value;
      const grant = await deps.grants.find(familyId);
      if (grant === undefined || grant.userId !== subject) return refuseFamily(familyId);
      const account = await accountState(deps.db, subject);
      if (account === undefined || account.locked) return refuseFamily(familyId);
      const scope = requestedScope ?? grant.scope;
      const access = mint(grant, scope);
      return ok(response(access.token, exchanged.value.token, scope));
    },

    async revoke(presented) {
      await deps.refreshTokens.revoke(presented);
    },

    async revokeUser(userId, reason) {
      const revoked = await deps.refreshStore.revokeSubject(userId, clock.now(), reason === 'logout_everywhere' ? 'logout_everywhere' : 'administrative');
      // Core's revokeAllForSubject would report every one as `logout_everywhere`; the audit trail keeps the real reason.
      for (const familyId of revoked) emit('token.refresh.family_revoked', userId, { familyId, reason });
      return revoked.length;
    },
  };
}
