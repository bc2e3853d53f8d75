import type { JwtFailure } from './reasons.js';

/** The registered claims Rampart requires (RFC 7519 §4.1, RFC 9068 §2.2) plus whatever else the issuer put in. */
export interface JwtClaims {
  readonly iss: string;
  readonly aud: string | readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly sub?: string;
  readonly nbf?: number;
  readonly [claim: string]: unknown;
}

/** The claim checks' configuration, in seconds. */
export interface ClaimsPolicy {
  readonly issuers: readonly string[];
  readonly audiences: readonly string[];
  readonly leewaySeconds: number;
  readonly maxAgeSeconds: number;
  /** Further claims that must be present (e.g. `sub`, `client_id`). */
  readonly requiredClaims: readonly string[];
}

const REGISTERED = ['iss', 'aud', 'exp', 'iat', 'jti'] as const;

/*
 * Numeric dates must be finite numbers: JSON.parse turns 1e400 into Infinity, and an `exp` of Infinity would be a
 * token that never expires.
 */
function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Checks claim presence and types, issuer and audience: the parts that do not depend on the time. */
export function checkStaticClaims(claims: Readonly<Record<string, unknown>>, policy: ClaimsPolicy): JwtFailure | undefined {
  for (const name of REGISTERED) if (!Object.hasOwn(claims, name)) return 'missing_claim';
  for (const name of policy.requiredClaims) if (!Object.hasOwn(claims, name)) return 'missing_claim';
  const { iss, aud, exp, iat, jti, nbf, sub } = claims;
  if (typeof iss !== 'string' || typeof jti !== 'string' || jti === '') return 'invalid_claim';
  if (!isNumericDate(exp) || !isNumericDate(iat) || (nbf !== undefined && !isNumericDate(nbf))) return 'invalid_claim';
  if (sub !== undefined && typeof sub !== 'string') return 'invalid_claim';
  const audiences = typeof aud === 'string' ? [aud] : aud;
  if (!Array.isArray(audiences) || audiences.length === 0 || !audiences.every((a) => typeof a === 'string')) return 'invalid_claim';
  // Exact, case-sensitive comparison (RFC 7519 §4.1.1): no prefix match, no URL normalization.
  if (!policy.issuers.includes(iss)) return 'issuer_mismatch';
  if (!policy.audiences.some((expected) => audiences.includes(expected))) return 'audience_mismatch';
  return undefined;
}

/**
 * Checks the time claims against `nowSeconds` with the leeway (RFC 7519 §4.1.4-4.1.6). Run on every verification,
 * including cached ones, so that a cached token still expires on time. Assumes {@link checkStaticClaims} passed.
 */
export function checkTimeClaims(claims: JwtClaims, nowSeconds: number, policy: ClaimsPolicy): JwtFailure | undefined {
  const leeway = policy.leewaySeconds;
  if (claims.exp <= nowSeconds - leeway) return 'expired';
  if (claims.nbf !== undefined && claims.nbf > nowSeconds + leeway) return 'not_yet_valid';
  if (claims.iat > nowSeconds + leeway) return 'not_yet_valid';
  if (nowSeconds - claims.iat - leeway > policy.maxAgeSeconds) return 'too_old';
  return undefined;
}
