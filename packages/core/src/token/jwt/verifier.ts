import { decodeJwt } from 'jose';
import { systemClock, type Clock } from '../../clock.js';
import { ConfigurationError } from '../../errors.js';
import { fail, ok, type Result } from '../../result.js';
import { checkAllowlist, verifyBytes, type JwtAlgorithm } from './algorithms.js';
import { VerifiedTokenCache } from './cache.js';
import { checkStaticClaims, checkTimeClaims, type ClaimsPolicy, type JwtClaims } from './claims.js';
import { checkHeader, normalizeTyp, type HeaderPolicy } from './header.js';
import { parseCompact } from './jws.js';
import type { VerificationKeySource } from './keyset.js';
import type { JwtFailure } from './reasons.js';

/** The access-token media type of RFC 9068 §2.1. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/** Tokens longer than this are refused before parsing (a cheap bound on the work an attacker can cause). */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

export interface JwtVerifierOptions {
  /** Where keys come from: a {@link JwtKeySet} (local) or a {@link RemoteJwks}. */
  readonly keys: VerificationKeySource;
  /** Accepted `iss` value(s), compared exactly. Required. */
  readonly issuer: string | readonly string[];
  /** This service's identifier(s); the token's `aud` must contain one. Required. */
  readonly audience: string | readonly string[];
  /**
   * Default `['EdDSA', 'ES256']`. RSA (`RS256`, `RS384`, `RS512`, `PS256`, `PS384`, `PS512`) and HS256 only when
   * listed by name; `none` is a configuration error. Each key still verifies only its own algorithm.
   */
  readonly algorithms?: readonly JwtAlgorithm[];
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. Default 30, at most 300. */
  readonly clockToleranceSeconds?: number;
  /** How old `iat` may be, in seconds. Default 86400 (one day). */
  readonly maxAgeSeconds?: number;
  /** Expected `typ` header. Default `'at+jwt'` (RFC 9068); `false` accepts any, for non-access tokens. */
  readonly requireTyp?: string | false;
  /** Claims that must be present besides iss, aud, exp, iat and jti (e.g. `['sub', 'client_id']`). */
  readonly requiredClaims?: readonly string[];
  /** Default 8192 characters. */
  readonly maxTokenLength?: number;
  /** Cache of verified tokens; default `{ maxEntries: 10000 }`. `false` turns it off. */
  readonly cache?: false | { readonly maxEntries?: number };
  readonly clock?: Clock;
}

/** A token that passed every check. Deep-frozen: results may be shared through the cache. */
export interface VerifiedJwt {
  readonly alg: JwtAlgorithm;
  readonly kid: string;
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: JwtClaims;
}

/** Verifies JWTs; see {@link createJwtVerifier}. */
export interface JwtVerifier {
  /** Synchronous verification against keys held now. Never throws. */
  verify(token: unknown): Result<VerifiedJwt, JwtFailure>;
  /** Like {@link verify}, but lets a remote key source fetch again (rate-limited) when the kid is unknown. Never rejects. */
  verifyAsync(token: unknown): Promise<Result<VerifiedJwt, JwtFailure>>;
  /** Drops one token from the cache (e.g. after revoking it); later calls verify it in full again. */
  evict(token: string): void;
}

function list(value: string | readonly string[], name: string): readonly string[] {
  const values: readonly unknown[] = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(values) || values.length === 0 || !values.every((v): v is string => typeof v === 'string' && v !== '')) {
    throw new ConfigurationError(`${name} must be a non-empty string or list of non-empty strings`);
  }
  return [...values];
}

function bounded(value: number | undefined, fallback: number, min: number, max: number, name: string): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen < min || chosen > max) throw new ConfigurationError(`${name} must be between ${min} and ${max}`);
  return chosen;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/**
 * Creates a JWT verifier with safe defaults.
 *
 * Protects against forged and misused tokens: `alg: none` and algorithm confusion (per-key algorithm, allowlist: an
 * HMAC keyed with a public key, an RSA key checked as EC or the reverse, PS256 ↔ RS256), tokens that bring or point to their own key (`jwk`, `jku`, `x5c`, `x5u`), unknown critical extensions, expired,
 * premature and over-aged tokens, tokens for another audience or from another issuer, a token of another type used as
 * an access token (`typ`), kid injection (kids are map keys only), and oversized input. Throws
 * {@link ConfigurationError} at creation for an unsafe configuration; `verify` itself never throws.
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const source = options.keys;
  const clock = options.clock ?? systemClock;
  const headerPolicy: HeaderPolicy = {
    algorithms: checkAllowlist(options.algorithms),
    typ: options.requireTyp === false ? undefined : normalizeTyp(options.requireTyp ?? ACCESS_TOKEN_TYP),
  };
  const claimsPolicy: ClaimsPolicy = {
    issuers: list(options.issuer, 'issuer'),
    audiences: list(options.audience, 'audience'),
    leewaySeconds: bounded(options.clockToleranceSeconds, 30, 0, 300, 'clockToleranceSeconds'),
    maxAgeSeconds: bounded(options.maxAgeSeconds, 86_400, 1, 31_536_000, 'maxAgeSeconds'),
    requiredClaims: options.requiredClaims === undefined ? [] : [...options.requiredClaims],
  };
  const maxLength = bounded(options.maxTokenLength, DEFAULT_MAX_TOKEN_LENGTH, 256, 65_536, 'maxTokenLength');
  const cache =
    options.cache === false
      ? undefined
      : new VerifiedTokenCache<VerifiedJwt>(bounded(options.cache?.maxEntries, 10_000, 1, 1_000_000, 'cache.maxEntries'), source.generation);

  function verifyUncached(token: string, now: number): Result<VerifiedJwt, JwtFailure> {
    const parts = parseCompact(token);
    if (parts === undefined) return fail('malformed');
    const header = checkHeader(parts.header, headerPolicy);
    if (typeof header === 'string') return fail(header);
    const key = source.find(header.kid, header.alg);
    if (key === undefined) return fail('unknown_kid');
    // The key decides the algorithm: an HS256 token naming an Ed25519 key's kid never reaches HMAC with public bytes.
    if (key.alg !== header.alg) return fail('alg_not_allowed');
    if (!verifyBytes(header.alg, key.key, parts.signingInput, parts.signature)) return fail('signature_invalid');
    let claims: Record<string, unknown>;
    try {
      claims = decodeJwt(token);
    } catch {
      return fail('malformed');
    }
    const invalid = checkStaticClaims(claims, claimsPolicy) ?? checkTimeClaims(claims as JwtClaims, now, claimsPolicy);
    if (invalid !== undefined) return fail(invalid);
    return ok(deepFreeze({ alg: header.alg, kid: key.kid, header: parts.header, claims: claims as JwtClaims }));
  }

  function verify(token: unknown): Result<VerifiedJwt, JwtFailure> {
    if (typeof token !== 'string') return fail('malformed');
    if (token.length > maxLength) return fail('oversized');
    const now = Math.floor(clock.now() / 1000);
    if (cache === undefined) return verifyUncached(token, now);
    const generation = source.generation;
    const cacheKey = VerifiedTokenCache.keyOf(token);
    const hit = cache.get(cacheKey, now, generation);
    if (hit !== undefined) {
      // Only the time-dependent checks can change their verdict for a byte-identical token under the same keys.
      const late = checkTimeClaims(hit.claims, now, claimsPolicy);
      return late === undefined ? ok(hit) : fail(late);
    }
    const result = verifyUncached(token, now);
    if (result.ok) cache.set(cacheKey, result.value, result.value.claims.exp, generation);
    return result;
  }

  async function verifyAsync(token: unknown): Promise<Result<VerifiedJwt, JwtFailure>> {
    const first = verify(token);
    if (first.ok || first.reason !== 'unknown_kid' || source.refresh === undefined || typeof token !== 'string') return first;
    const parts = parseCompact(token);
    const kid = parts?.header.kid;
    await source.refresh(typeof kid === 'string' ? kid : undefined);
    return verify(token);
  }

  return {
    verify,
    verifyAsync,
    evict(token: string): void {
      cache?.evict(VerifiedTokenCache.keyOf(token));
    },
  };
}
