import { randomToken } from '../../crypto/random.js';
import { systemClock, type Clock } from '../../clock.js';
import { ConfigurationError, RampartError } from '../../errors.js';
import { signCompact } from './jws.js';
import type { JwtKeySet } from './keyset.js';
import { ACCESS_TOKEN_TYP } from './verifier.js';

/** Claims the issuer sets itself; a caller passing them is a programming error, not an override. */
const RESERVED = ['iss', 'aud', 'exp', 'iat', 'nbf', 'jti'] as const;

export interface JwtIssuerOptions {
  /** Signs with `keys.current`, so a rotation takes effect on the next token. */
  readonly keys: JwtKeySet;
  readonly issuer: string;
  readonly audience: string | readonly string[];
  /** Lifetime in seconds. Default 900 (15 minutes); at most one day. */
  readonly ttlSeconds?: number;
  readonly clock?: Clock;
}

/** Claims a caller supplies; `sub` is required for access tokens (RFC 9068 §2.2). */
export interface AccessTokenClaims {
  readonly sub: string;
  readonly client_id?: string;
  readonly scope?: string;
  readonly [claim: string]: unknown;
}

/** A signed token and the values a caller may need to store (the jti for revocation, the expiry). */
export interface IssuedJwt {
  readonly token: string;
  readonly jti: string;
  readonly kid: string;
  /** `exp`, seconds since the epoch. */
  readonly expiresAt: number;
}

export interface JwtIssuer {
  /** An RFC 9068 access token: header `typ: at+jwt`, with iss, aud, iat, exp and a random jti. */
  issueAccessToken(claims: AccessTokenClaims, options?: { readonly ttlSeconds?: number }): IssuedJwt;
  /** Any JWT with the same registered claims and the given `typ` (default `JWT`), e.g. for an ID token. */
  issue(claims: Readonly<Record<string, unknown>>, options?: { readonly typ?: string; readonly ttlSeconds?: number }): IssuedJwt;
}

function checkTtl(ttl: number): number {
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400) throw new ConfigurationError('ttlSeconds must be an integer between 1 and 86400');
  return ttl;
}

/**
 * Creates a JWT issuer.
 *
 * Protects against tokens that live forever or can be replayed unnoticed (every token has exp, iat and a 256-bit
 * random jti), tokens confused across token types (`typ` set, RFC 8725 §3.11) or services (`aud` always set), and
 * callers overriding the registered claims by accident.
 */
export function createJwtIssuer(options: JwtIssuerOptions): JwtIssuer {
  const clock = options.clock ?? systemClock;
  if (typeof options.issuer !== 'string' || options.issuer === '') throw new ConfigurationError('issuer must be a non-empty string');
  const audience = typeof options.audience === 'string' ? options.audience : [...options.audience];
  if (audience.length === 0) throw new ConfigurationError('audience must not be empty');
  const defaultTtl = checkTtl(options.ttlSeconds ?? 900);

  function issue(claims: Readonly<Record<string, unknown>>, typ: string, ttlSeconds: number | undefined): IssuedJwt {
    for (const name of RESERVED) {
      if (Object.hasOwn(claims, name)) throw new RampartError('JWT_RESERVED_CLAIM', `"${name}" is set by the issuer`);
    }
    const signer = options.keys.current;
    const iat = Math.floor(clock.now() / 1000);
    const exp = iat + (ttlSeconds === undefined ? defaultTtl : checkTtl(ttlSeconds));
    const jti = randomToken();
    const payload = { ...claims, iss: options.issuer, aud: audience, iat, exp, jti };
    const header = { alg: signer.alg, kid: signer.kid, typ };
    const token = signCompact(signer.alg, signer.signingKey, header, Buffer.from(JSON.stringify(payload), 'utf8'));
    return { token, jti, kid: signer.kid, expiresAt: exp };
  }

  return {
    issueAccessToken(claims, issueOptions) {
      if (typeof claims.sub !== 'string' || claims.sub === '') throw new RampartError('JWT_CLAIM_INVALID', 'an access token needs a sub');
      return issue(claims, ACCESS_TOKEN_TYP, issueOptions?.ttlSeconds);
    },
    issue(claims, issueOptions) {
      return issue(claims, issueOptions?.typ ?? 'JWT', issueOptions?.ttlSeconds);
    },
  };
}
