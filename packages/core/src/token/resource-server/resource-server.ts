import { systemClock, type Clock } from '../../clock.js';
import { ConfigurationError } from '../../errors.js';
import { discardEvents, securityEvent, type SecurityEventSink } from '../../events.js';
import type { Problem } from '../../http/problem/problem.js';
import type { Success } from '../../result.js';
import { ok } from '../../result.js';
import { createSafeFetch, type SafeFetch } from '../../safe/fetch/client.js';
import type { SafeFetchOptions } from '../../safe/fetch/options.js';
import type { JwtAlgorithm } from '../jwt/algorithms.js';
import type { VerificationKeySource } from '../jwt/keyset.js';
import { createJwtVerifier, type JwtVerifier } from '../jwt/verifier.js';
import { MemoryReplayCache, type ReplayCache } from '../refresh/replay-cache.js';
import { challengeFor, problemFor, type ChallengeConfig } from './challenge.js';
import { confirmationOf } from './confirmation.js';
import { checkEndpoint, LocalIssuerKeys, RemoteIssuerKeys, type IssuerKeys, type IssuerKeysStatus, type JwksCacheOptions } from './discovery.js';
import { DpopKeyCache, checkDpopAlgorithms, verifyDpopProof, type DpopAlgorithm, type DpopPolicy } from './dpop.js';
import { certificateMatches } from './mtls.js';
import type { AccessTokenPrincipal, TokenConfirmation } from './principal.js';
import { meaningOf, type AccessTokenRefusal, type AccessTokenRefusalReason, type TokenScheme } from './reasons.js';
import { credentialsOf, headerOf, type ResourceRequest } from './request.js';
import { checkRequiredScopes, scopesOf } from './scopes.js';

/** DPoP settings (RFC 9449). */
export interface DpopOptions {
  /** Proof algorithms accepted. Default `['ES256', 'EdDSA']`; asymmetric algorithms only. */
  readonly algorithms?: readonly DpopAlgorithm[];
  /** How old a proof's `iat` may be, in seconds. Default 60, at most 300. */
  readonly maxAgeSeconds?: number;
  /** Leeway for the client's clock, both ways, in seconds. Default 5, at most 60. */
  readonly clockToleranceSeconds?: number;
  /**
   * Where proof `jti`s are remembered. Default: a {@link MemoryReplayCache} of this process holding up to 1 000 000
   * proofs. With several instances, share one (`RedisReplayCache`), or a proof refused here is accepted next door.
   */
  readonly replayCache?: ReplayCache;
  /** Longest proof accepted, in characters, checked before parsing. Default 4096. */
  readonly maxProofLength?: number;
}

export interface ResourceServerOptions {
  /** The authorization server's issuer identifier; tokens' `iss` and the metadata's `issuer` must equal it exactly. */
  readonly issuer: string;
  /** This service's resource identifier(s) (RFC 8707); a token's `aud` must contain one. */
  readonly audience: string | readonly string[];
  /**
   * Find the keys through the issuer's metadata (RFC 8414 `/.well-known/oauth-authorization-server`, then OpenID
   * Connect `/.well-known/openid-configuration`). Default `true`; unused when `jwksUri` or `keys` is given.
   */
  readonly discovery?: boolean;
  /** The issuer's JWKS URL, when known: no discovery. */
  readonly jwksUri?: string | URL;
  /** Keys held in this process (a `JwtKeySet` shared with the issuer, or any key source): no network at all. */
  readonly keys?: VerificationKeySource;
  /**
   * Named loosening: plain `http:` for the issuer, its metadata and its keys. For tests and local development only;
   * reported once as `config.loosened`. Private and loopback addresses still need `fetch.allowAddresses`.
   */
  readonly allowInsecureIssuer?: boolean;
  /**
   * The SSRF policy of the metadata and key requests (`@rampart/core/safe/fetch`): `allowAddresses` for an issuer on a
   * private network or on 127.0.0.1 in tests, `allowPorts`, `ca` for a private PKI. Each loosening is reported.
   */
  readonly fetch?: SafeFetchOptions;
  /** The key cache: refresh interval, cooldown, refetch budget, timeouts (see `RemoteJwks`). */
  readonly jwks?: JwksCacheOptions;
  /**
   * Access-token signature algorithms. Default {@link DEFAULT_ACCESS_TOKEN_ALGORITHMS}: `EdDSA`, `ES256`, `RS256`
   * (RFC 9068 §2.1 requires it) and `PS256`. `RS384`, `RS512`, `PS384`, `PS512` and `HS256` by name. Whatever the
   * list, each key verifies only the one algorithm it is bound to.
   */
  readonly algorithms?: readonly JwtAlgorithm[];
  /**
   * The access token's `typ` header. Default `at+jwt` (RFC 9068 §4). Another value (`JWT`, for issuers that do not
   * type their access tokens) is a named loosening, reported as `config.loosened`: `typ` is what tells an access token
   * from an ID token.
   */
  readonly accessTokenType?: string;
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. Default 30, at most 300. */
  readonly clockToleranceSeconds?: number;
  /** How old a token's `iat` may be, in seconds. Default 86400. */
  readonly maxTokenAgeSeconds?: number;
  /** The verified-token cache of the JWT verifier. Default on (10 000 entries); `false` turns it off. */
  readonly cache?: false | { readonly maxEntries?: number };
  /** DPoP (RFC 9449). Default on with the defaults of {@link DpopOptions}; `false` accepts the `Bearer` scheme only. */
  readonly dpop?: false | DpopOptions;
  /** Refuse tokens bound to nothing (plain bearer tokens): only DPoP- or certificate-bound ones pass. Default `false`. */
  readonly requireSenderConstrained?: boolean;
  /** The `realm` of the `WWW-Authenticate` challenges. Default: none. */
  readonly realm?: string;
  /**
   * Receives `token.access.refused` (the reason, never the token or the proof), `config.loosened`, and
   * `token.jwks.key_ignored` (a key of the issuer's JWKS not used: weak RSA, encryption key, …).
   */
  readonly events?: SecurityEventSink;
  readonly clock?: Clock;
}

/** The outcome of {@link ResourceServer.authenticate}. */
export type AuthenticationResult = Success<AccessTokenPrincipal> | AccessTokenRefusal;

/** What an operator sees of a resource server (no key material, no tokens). */
export interface ResourceServerStatus {
  readonly issuer: string;
  /** Whether tokens can be checked now (keys loaded and fresh). */
  readonly available: boolean;
  readonly keys: IssuerKeysStatus;
}

/** A protected resource's token check; see {@link createResourceServer}. */
export interface ResourceServer {
  /** Checks the request's access token and its binding. Never throws for anything the request contains. */
  authenticate(request: ResourceRequest): Promise<AuthenticationResult>;
  /**
   * The principal again when its token grants every scope in `required`, else an `insufficient_scope` refusal (403,
   * with the scopes in the challenge).
   */
  requireScopes(principal: AccessTokenPrincipal, required: readonly string[], correlationId?: string): AuthenticationResult;
  /** The `WWW-Authenticate` header value for a refusal (`undefined` for a 503). */
  challenge(refusal: AccessTokenRefusal): string | undefined;
  /** The RFC 9457 problem for a refusal: status, body, and the challenge (or `Retry-After`) in its headers. */
  problem(refusal: AccessTokenRefusal): Problem;
  /** Discovers the issuer and loads its keys now; resolves with the status. Call it at start. Never rejects. */
  ready(): Promise<ResourceServerStatus>;
  status(): ResourceServerStatus;
  /** Closes the connections of the metadata and key client. */
  close(): Promise<void>;
}

/**
 * The access-token algorithms a resource server accepts unless told otherwise. RSA is in because RFC 9068 §2.1 makes
 * RS256 mandatory to support and most hosted issuers sign with it; it is safe to include because a key never verifies
 * another algorithm than its own (an RSA key without `alg` is bound to RS256, see `jwks.rsaAlgorithm`), so allowing
 * RS256 cannot turn an Ed25519 or P-256 key, or an RSA key published for PS256, into something else. HS256 stays out:
 * a resource server has no business sharing its issuer's MAC secret.
 */
export const DEFAULT_ACCESS_TOKEN_ALGORITHMS: readonly JwtAlgorithm[] = Object.freeze(['EdDSA', 'ES256', 'RS256', 'PS256']);

/** Entries of the default in-process DPoP replay cache. */
const DEFAULT_REPLAY_ENTRIES = 1_000_000;

const REALM = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
const TYP = /^[A-Za-z0-9!#$&^_.+/-]{1,64}$/;

function bounded(value: number | undefined, fallback: number, min: number, max: number, name: string): number {
  const chosen = value ?? fallback;
  if (typeof chosen !== 'number' || !Number.isFinite(chosen) || chosen < min || chosen > max) {
    throw new ConfigurationError(`${name} must be between ${min} and ${max}`);
  }
  return chosen;
}

function checkIssuer(issuer: unknown, allowInsecure: boolean): string {
  if (typeof issuer !== 'string' || issuer === '') throw new ConfigurationError('issuer must be the issuer identifier (an https URL)');
  const url = checkEndpoint(issuer, allowInsecure);
  // RFC 8414 §2: an https URL with no query or fragment.
  if (url === undefined || url.search !== '') {
    throw new ConfigurationError('issuer must be an https URL without credentials, query or fragment (allowInsecureIssuer: true for http in tests)');
  }
  return issuer;
}

function dpopPolicy(options: DpopOptions, clock: Clock): DpopPolicy {
  return {
    algorithms: checkDpopAlgorithms(options.algorithms),
    maxAgeSeconds: bounded(options.maxAgeSeconds, 60, 1, 300, 'dpop.maxAgeSeconds'),
    leewaySeconds: bounded(options.clockToleranceSeconds, 5, 0, 60, 'dpop.clockToleranceSeconds'),
    maxProofLength: bounded(options.maxProofLength, 4096, 512, 16_384, 'dpop.maxProofLength'),
    // Sized for load: every accepted proof stays about 70 s, so 1 000 000 entries carry ~14 000 DPoP requests a second
    // per process. A full cache refuses new proofs (fail closed) rather than forget live ones.
    replayCache: options.replayCache ?? new MemoryReplayCache({ clock, maxEntries: DEFAULT_REPLAY_ENTRIES }),
    clock,
  };
}

function sourceOf(
  options: ResourceServerOptions,
  issuer: string,
  allowInsecure: boolean,
  events: SecurityEventSink,
): { keys: IssuerKeys; http: SafeFetch | undefined } {
  if (options.keys !== undefined) {
    if (options.jwksUri !== undefined) throw new ConfigurationError('give keys or jwksUri, not both');
    return { keys: new LocalIssuerKeys(options.keys), http: undefined };
  }
  let jwksUri: URL | undefined;
  if (options.jwksUri !== undefined) {
    jwksUri = checkEndpoint(options.jwksUri, allowInsecure);
    if (jwksUri === undefined) throw new ConfigurationError('jwksUri must be an https URL without credentials or fragment');
  } else if (options.discovery === false) {
    throw new ConfigurationError('with discovery: false, give jwksUri or keys');
  }
  const http = createSafeFetch({
    timeoutMs: 10_000,
    ...options.fetch,
    ...(allowInsecure ? { allowInsecureHttp: true } : {}),
    ...(options.fetch?.events === undefined ? { events } : {}),
  });
  const keys = new RemoteIssuerKeys({ issuer, jwksUri, http, allowInsecure, jwks: options.jwks ?? {}, clock: options.clock, events });
  return { keys, http };
}

/**
 * Creates the token check of a protected resource (an OAuth 2.1 resource server): one per service, shared by every
 * route, because it holds the issuer's keys, the verified-token cache and the DPoP replay cache.
 *
 * Protects against: forged and misused access tokens (everything the JWT verifier refuses: `alg: none`, algorithm
 * confusion, keys named by the token, other issuers, other audiences — a token for service A at service B —, expiry,
 * ID and refresh tokens used as access tokens by their `typ`); stolen sender-constrained tokens (a DPoP-bound token
 * needs a fresh, unreplayed proof from its key, never the `Bearer` scheme; a certificate-bound token needs its TLS
 * client certificate, compared in constant time); tokens whose binding or scopes cannot be read (refused, never
 * treated as unbound or unscoped); a look-alike or hijacked issuer document (its `issuer` must match exactly, and it is
 * fetched through the SSRF-safe client). When keys or the replay cache are unreachable it refuses with a 503.
 * Throws {@link ConfigurationError} at creation for an unsafe configuration.
 */
export function createResourceServer(options: ResourceServerOptions): ResourceServer {
  const clock = options.clock ?? systemClock;
  const events = options.events ?? discardEvents;
  const allowInsecure = options.allowInsecureIssuer === true;
  const issuer = checkIssuer(options.issuer, allowInsecure);
  if (options.realm !== undefined && (typeof options.realm !== 'string' || !REALM.test(options.realm))) {
    throw new ConfigurationError('realm must be 1–128 printable ASCII characters without " or \\');
  }
  const accessTokenType = options.accessTokenType ?? 'at+jwt';
  if (typeof accessTokenType !== 'string' || !TYP.test(accessTokenType)) throw new ConfigurationError('accessTokenType must be a media type such as at+jwt');
  const dpop = options.dpop === false ? undefined : dpopPolicy(options.dpop ?? {}, clock);
  const requireBinding = options.requireSenderConstrained === true;
  const { keys, http } = sourceOf(options, issuer, allowInsecure, events);
  let verifier: JwtVerifier;
  try {
    verifier = createJwtVerifier({
      keys,
      issuer,
      audience: options.audience,
      requireTyp: accessTokenType,
      // RFC 9068 §2.2: sub and client_id are required besides iss, aud, exp, iat and jti.
      requiredClaims: ['sub', 'client_id'],
      algorithms: options.algorithms ?? DEFAULT_ACCESS_TOKEN_ALGORITHMS,
      ...(options.clockToleranceSeconds === undefined ? {} : { clockToleranceSeconds: options.clockToleranceSeconds }),
      ...(options.maxTokenAgeSeconds === undefined ? {} : { maxAgeSeconds: options.maxTokenAgeSeconds }),
      ...(options.cache === undefined ? {} : { cache: options.cache }),
      clock,
    });
  } catch (error) {
    // A refused configuration must not leave the key client's connection pool behind.
    void http?.close();
    throw error;
  }
  const dpopKeys = new DpopKeyCache();
  const challengeConfig: ChallengeConfig = { realm: options.realm, dpopAlgorithms: dpop?.algorithms };

  if (allowInsecure) events(securityEvent('config.loosened', undefined, { control: 'token.resource_server', option: 'allowInsecureIssuer' }));
  if (accessTokenType.toLowerCase().replace(/^application\//, '') !== 'at+jwt') {
    events(securityEvent('config.loosened', undefined, { control: 'token.resource_server', option: 'accessTokenType', value: accessTokenType }));
  }

  function refuse(
    reason: AccessTokenRefusalReason,
    scheme: TokenScheme | undefined,
    request: ResourceRequest,
    verified?: { readonly subject: string; readonly clientId: string },
  ): AccessTokenRefusal {
    const meaning = meaningOf(reason);
    try {
      events(
        securityEvent('token.access.refused', verified?.subject, {
          reason,
          scheme: scheme ?? 'none',
          status: meaning.status,
          issuer,
          ...(verified === undefined ? {} : { clientId: verified.clientId }),
          ...(request.correlationId === undefined ? {} : { correlationId: request.correlationId }),
        }),
      );
    } catch {
      // A failing sink must not change the verdict (events.ts).
    }
    return { ok: false, reason, scheme };
  }

  async function authenticate(request: ResourceRequest): Promise<AuthenticationResult> {
    const credentials = credentialsOf(headerOf(request.headers, 'authorization'), dpop !== undefined);
    if (credentials.kind === 'none') return refuse('missing_token', undefined, request);
    if (credentials.kind === 'unsupported') return refuse('unsupported_scheme', undefined, request);
    if (credentials.kind === 'malformed') return refuse('malformed_authorization', credentials.scheme, request);
    const { scheme, token } = credentials;

    const verified = await verifier.verifyAsync(token);
    if (!verified.ok) {
      // No keys at all is not the token's fault: 503, so clients do not throw away good tokens.
      if (verified.reason === 'unknown_kid' && !keys.available()) return refuse('issuer_unavailable', scheme, request);
      return refuse(`token_${verified.reason}`, scheme, request);
    }
    const claims = verified.value.claims;
    const { sub, client_id: clientId } = claims;
    if (typeof sub !== 'string' || sub === '' || typeof clientId !== 'string' || clientId === '') {
      return refuse('token_invalid_claim', scheme, request);
    }
    const who = { subject: sub, clientId };
    const scopes = scopesOf(claims);
    if (scopes === undefined) return refuse('token_invalid_claim', scheme, request, who);
    const cnf = confirmationOf(claims);
    if (cnf === 'invalid') return refuse('token_invalid_claim', scheme, request, who);
    if (cnf === 'unsupported') return refuse('token_unsupported_confirmation', scheme, request, who);

    // RFC 9449 §7.2: a DPoP-bound token is never accepted as a bearer token, whatever else the request carries.
    if (cnf.jkt !== undefined && scheme === 'bearer') return refuse('dpop_bound_token_as_bearer', scheme, request, who);
    if (cnf.jkt === undefined && scheme === 'dpop') return refuse('dpop_token_not_bound', scheme, request, who);

    let confirmation: TokenConfirmation = 'bearer';
    // The certificate check first: it is cheap, and a refused request should not take a proof's jti.
    if (cnf.x5tS256 !== undefined) {
      const match = certificateMatches(request.peerCertificate, cnf.x5tS256);
      if (match !== 'match') return refuse(match === 'missing' ? 'mtls_certificate_missing' : 'mtls_certificate_mismatch', scheme, request, who);
      confirmation = 'mtls';
    }
    if (cnf.jkt !== undefined && dpop !== undefined) {
      const proof = await verifyDpopProof(
        { proof: headerOf(request.headers, 'dpop'), method: request.method, url: request.url, accessToken: token, boundThumbprint: cnf.jkt },
        dpop,
        dpopKeys,
      );
      if (!proof.ok) return refuse(proof.reason, scheme, request, who);
      confirmation = 'dpop';
    }
    if (confirmation === 'bearer' && requireBinding) return refuse('sender_constraint_required', scheme, request, who);

    const aud = claims.aud;
    const principal: AccessTokenPrincipal = Object.freeze({
      subject: sub,
      clientId,
      scopes,
      audience: Object.freeze(typeof aud === 'string' ? [aud] : [...aud]),
      issuer: claims.iss,
      tokenId: claims.jti,
      expiresAt: claims.exp,
      claims,
      confirmation,
    });
    return ok(principal);
  }

  function requireScopes(principal: AccessTokenPrincipal, required: readonly string[], correlationId?: string): AuthenticationResult {
    const needed = checkRequiredScopes(required);
    if (needed.every((scope) => principal.scopes.includes(scope))) return ok(principal);
    const scheme: TokenScheme = principal.confirmation === 'dpop' ? 'dpop' : 'bearer';
    try {
      events(
        securityEvent('token.access.refused', principal.subject, {
          reason: 'insufficient_scope',
          scheme,
          status: 403,
          issuer,
          clientId: principal.clientId,
          ...(correlationId === undefined ? {} : { correlationId }),
        }),
      );
    } catch {
      // A failing sink must not change the verdict.
    }
    return { ok: false, reason: 'insufficient_scope', scheme, requiredScopes: needed };
  }

  function status(): ResourceServerStatus {
    return { issuer, available: keys.available(), keys: keys.status() };
  }

  return {
    authenticate,
    requireScopes,
    challenge: (refusal) => challengeFor(refusal, challengeConfig),
    problem: (refusal) => problemFor(refusal, challengeConfig),
    async ready() {
      await keys.load();
      return status();
    },
    status,
    async close() {
      await http?.close();
    },
  };
}
