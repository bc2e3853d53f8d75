import type { Clock, SecurityEventSink } from '@rampart/core';
import { problem, type Problem } from '@rampart/core/http';
import type { JwtVerifier } from '@rampart/core/token';
import { compile, Type } from '@rampart/core/validate';
import type { Kysely } from 'kysely';
import type { AuthenticationOutcome, Authenticator } from '../auth/authenticate.js';
import type { Identity } from '../auth/identity.js';
import type { RampartDatabase } from '../db/schema.js';
import { accountState } from './account-state.js';
import { AMR_SCHEMA } from './grants.js';
import { SCOPE_SCHEMA } from './scope.js';
import { ACR_COMPLETE } from './service.js';

/** Latest NumericDate accepted (9999-12-31T23:59:59Z): bounds every integer claim. */
const MAX_NUMERIC_DATE = 253_402_300_799;

/** The members of a verified access token the identity is built from, validated as one closed object. */
const CLAIM_NAMES = ['sub', 'client_id', 'auth_time', 'amr', 'acr', 'scope', 'iat', 'jti'] as const;
const accessClaims = compile(
  Type.Object({
    sub: Type.String({ minLength: 1, maxLength: 256 }),
    client_id: Type.String({ minLength: 1, maxLength: 256 }),
    auth_time: Type.Integer({ minimum: 0, maximum: MAX_NUMERIC_DATE }),
    amr: AMR_SCHEMA,
    acr: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    scope: Type.Optional(SCOPE_SCHEMA),
    iat: Type.Integer({ minimum: 0, maximum: MAX_NUMERIC_DATE }),
    jti: Type.String({ minLength: 1, maxLength: 256 }),
  }),
);

/** Why a bearer token was refused: core's verifier reasons, and the server's own checks after it. */
type Refusal = string;

const INVALID_TOKEN: AuthenticationOutcome = Object.freeze({
  kind: 'refused',
  problem: Object.freeze(
    problem(401, 'invalid-token', 'Unauthorized', {
      code: 'auth.token_invalid',
      detail: 'The access token was refused. Refresh it, or sign in again.',
      // RFC 6750 §3: the challenge names the error, so an OAuth client knows to refresh rather than give up.
      headers: { 'www-authenticate': 'Bearer realm="rampart", error="invalid_token"' },
    }) satisfies Problem,
  ),
});

const ABSENT: AuthenticationOutcome = Object.freeze({ kind: 'absent' });

/**
 * The JWT in an `Authorization: Bearer` header, or `undefined` when the header is not this authenticator's: another
 * scheme (`Basic`, `ApiKey`), or a bearer value that is not a compact JWS (no two dots) — an API key sent as a bearer
 * token, which the API-key authenticator claims.
 */
export function bearerJwtOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toLowerCase() !== 'bearer') return undefined;
  const value = header.slice(space + 1).trim();
  return value.split('.').length === 3 ? value : undefined;
}

/** What {@link bearerAuthenticator} checks tokens with. */
export interface BearerDeps {
  /** Core's verifier over the server's key set, issuer and audience, `typ` `at+jwt`, the server's clock. */
  readonly verifier: JwtVerifier;
  readonly db: Kysely<RampartDatabase>;
  readonly events: SecurityEventSink;
  readonly clock: Clock;
}

/**
 * Authenticates `Authorization: Bearer <access token>` (RFC 6750) with core's verifier, then checks the account.
 *
 * Protects against forged and misused tokens (core: `alg: none`, algorithm confusion, foreign keys, unknown kids,
 * expired tokens, another issuer or audience, a token of another type — an ID token — used as an access token,
 * tampering, oversized input), and against a token outliving what its account went through: a locked or deleted
 * account, or a password changed after the token was issued, refuses it at once (one primary-key read per request).
 * A bad token is a 401 with `WWW-Authenticate: Bearer error="invalid_token"`, never an anonymous request.
 */
export function bearerAuthenticator(deps: BearerDeps): Authenticator {
  const refuse = (reason: Refusal, subject?: string): AuthenticationOutcome => {
    try {
      deps.events({ type: 'token.access.refused', at: new Date(deps.clock.now()), ...(subject === undefined ? {} : { subject }), attributes: { reason } });
    } catch {
      // A failing sink must not turn a refusal into a crash.
    }
    return INVALID_TOKEN;
  };

  return {
    name: 'bearer',
    async authenticate(request) {
      const token = bearerJwtOf(request.headers.authorization);
      if (token === undefined) return ABSENT;
      const verified = await deps.verifier.verifyAsync(token);
      if (!verified.ok) return refuse(verified.reason);
      const raw = verified.value.claims as Readonly<Record<string, unknown>>;
      const picked = Object.fromEntries(CLAIM_NAMES.filter((name) => Object.hasOwn(raw, name)).map((name) => [name, raw[name]]));
      const checked = accessClaims.check(picked);
      if (!checked.ok) return refuse('invalid_claims');
      const claims = checked.value;
      if (claims.auth_time > claims.iat) return refuse('invalid_claims');
      const account = await accountState(deps.db, claims.sub);
      if (account === undefined) return refuse('unknown_account', claims.sub);
      if (account.locked) return refuse('account_locked', claims.sub);
      // A token from before the last password change (seconds: `iat` has no finer grain) belongs to the old credential.
      if (claims.iat < Math.floor(account.passwordChangedAt / 1000)) return refuse('password_changed', claims.sub);
      const authTime = claims.auth_time * 1000;
      const identity: Identity = {
        userId: claims.sub,
        source: 'access_token',
        amr: claims.amr,
        authTime,
        ...(claims.acr === ACR_COMPLETE ? { fullyAuthenticatedAt: authTime } : {}),
        ...(claims.scope === undefined ? {} : { scopes: [...new Set(claims.scope.split(' '))] }),
        tokenId: claims.jti,
      };
      return { kind: 'authenticated', identity };
    },
  };
}
