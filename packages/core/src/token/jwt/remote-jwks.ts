import type { KeyObject } from 'node:crypto';
import { systemClock, type Clock } from '../../clock.js';
import { ConfigurationError } from '../../errors.js';
import { discardEvents, securityEvent, type SecurityEventSink } from '../../events.js';
import { isRsaAlgorithm, rsaKeyProblem, type JwtAlgorithm, type RsaJwtAlgorithm } from './algorithms.js';
import { isForSignatures, isJwkAlgorithm, jwkAlgorithm, publicKeyOfJwk, selectKey, type JwkProblem, type VerificationKey } from './keys.js';
import type { VerificationKeySource } from './keyset.js';

export interface RemoteJwksOptions {
  /** The issuer's `jwks_uri`. Must be https unless `allowInsecureHttp` says otherwise by name. */
  readonly url: string | URL;
  readonly allowInsecureHttp?: boolean;
  /** How long a fetched set is trusted, in seconds. Default 600. */
  readonly cacheMaxAgeSeconds?: number;
  /** Minimum time between two fetches, in seconds. Default 30. */
  readonly cooldownSeconds?: number;
  /** At most this many refetches for unknown kids per `refetchWindowSeconds`. Default 10 per 3600 s. */
  readonly maxRefetches?: number;
  readonly refetchWindowSeconds?: number;
  /** Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Default 65536 bytes. */
  readonly maxResponseBytes?: number;
  /**
   * The one algorithm an RSA key without an `alg` member verifies (`alg` is optional in RFC 7517 §4.4, and several
   * hosted issuers omit it). Default `'RS256'`, what such keys sign with in practice (RFC 9068 §2.1, OpenID Connect
   * Core §15.1). A key that names its `alg` is bound to that one instead.
   */
  readonly rsaAlgorithm?: RsaJwtAlgorithm;
  /**
   * Receives `token.jwks.key_ignored` (kid and reason) for each key a fetch newly ignores, at most 16 per fetch;
   * `status().ignored` lists them all.
   */
  readonly events?: SecurityEventSink;
  readonly fetch?: typeof fetch;
  readonly clock?: Clock;
}

/** Why a key of the remote document is not used. Stable codes, safe to log. */
export type IgnoredJwkReason =
  | JwkProblem
  /** An `oct` key: a public document turned into an HMAC secret anyone can read (algorithm confusion). */
  | 'symmetric_key'
  /** Private members (`d`, `p`, …): a publishing mistake Rampart will not build upon. */
  | 'private_key'
  /** No `kid`, or one that is not a non-empty string. */
  | 'kid_invalid'
  /** The same kid twice: ambiguous, neither copy is trusted. */
  | 'duplicate_kid';

/** A key of the remote document that is not used, and why (no key material). */
export interface IgnoredJwk {
  readonly kid: string | undefined;
  readonly reason: IgnoredJwkReason;
}

/** What an operator sees of a remote set (no key material). */
export interface RemoteJwksStatus {
  readonly fetches: number;
  readonly kids: readonly string[];
  /** Keys of the last document that are not used, and why. */
  readonly ignored: readonly IgnoredJwk[];
  readonly fetchedAt: number | undefined;
  readonly lastError: string | undefined;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/*
 * Only public keys of the asymmetric algorithms are taken from the network, each bound to one algorithm. An `oct` key
 * in a remote JWKS would turn a public document into an HMAC secret anyone can read (algorithm confusion); a key with
 * private members is a publishing mistake; an encryption key (`use: enc`, `key_ops: ["encrypt"]`) is not for
 * signatures (RFC 7517 §4.2-4.3); an RSA key below 2048 bits can be factored by a well-funded attacker, an exponent of
 * 1 makes any padded hash a valid signature, and a huge modulus or exponent is a cost the issuer must not be able to
 * impose on every verification.
 */
function importRemoteKey(jwk: Record<string, unknown>, rsaAlgorithm: RsaJwtAlgorithm): VerificationKey | IgnoredJwkReason {
  // Any non-empty string: a kid is only ever a map key here, and hosted issuers use base64 kids with "=", "+" and "/".
  if (typeof jwk.kid !== 'string' || jwk.kid === '') return 'kid_invalid';
  if (jwk.kty === 'oct') return 'symmetric_key';
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) return 'private_key';
  const alg = jwkAlgorithm(jwk, jwk.kty === 'RSA' && jwk.alg === undefined ? rsaAlgorithm : undefined);
  if (!isJwkAlgorithm(alg)) return alg;
  if (!isForSignatures(jwk, ['verify'])) return 'not_for_signature';
  let key: KeyObject;
  try {
    key = publicKeyOfJwk(jwk);
  } catch {
    return 'invalid_key';
  }
  if (isRsaAlgorithm(alg)) {
    const problem = rsaKeyProblem(key);
    if (problem === 'not_rsa') return 'invalid_key';
    if (problem !== undefined) return problem;
  }
  return { kid: jwk.kid, alg, key };
}

/** Kids put in events as they are only when short and printable: a log line is no place for arbitrary remote text. */
const PRINTABLE_KID = /^[\x21-\x7e]{1,128}$/;

/** Events per fetch: a document of a thousand junk keys must not become a thousand audit entries every cooldown. */
const MAX_IGNORED_EVENTS_PER_FETCH = 16;

function ignoredKey(entry: IgnoredJwk): string {
  return `${entry.reason} ${entry.kid ?? ''}`;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen <= 0) throw new ConfigurationError(`${name} must be a positive number`);
  return chosen;
}

/**
 * Another issuer's public keys, fetched from its JWKS URL and cached.
 *
 * Protects the issuer and this service against a kid flood: a token with an unknown kid may trigger a refetch, but
 * only after the cooldown and at most `maxRefetches` times per window, and concurrent requests share one fetch. Also
 * refuses plain http, redirects, oversized or slow responses, symmetric and private keys, encryption keys, and weak
 * RSA keys (below 2048 bits, or with an unsafe exponent): each is ignored and reported as `token.jwks.key_ignored`.
 * Every key verifies one algorithm only (its `alg`, for an RSA key without one `rsaAlgorithm`). When the set cannot
 * be fetched, verification fails closed (`unknown_kid`).
 */
export class RemoteJwks implements VerificationKeySource {
  readonly #url: URL;
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  readonly #maxAgeMs: number;
  readonly #cooldownMs: number;
  readonly #maxRefetches: number;
  readonly #windowMs: number;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #rsaAlgorithm: RsaJwtAlgorithm;
  readonly #events: SecurityEventSink;
  #keys = new Map<string, VerificationKey>();
  #ignored: readonly IgnoredJwk[] = [];
  #fetchedAt: number | undefined;
  #lastAttempt: number | undefined;
  #refetches: number[] = [];
  #inFlight: Promise<void> | undefined;
  #generation = 0;
  #fetches = 0;
  #lastError: string | undefined;

  constructor(options: RemoteJwksOptions) {
    this.#url = new URL(options.url);
    if (this.#url.protocol !== 'https:' && !(this.#url.protocol === 'http:' && options.allowInsecureHttp === true)) {
      throw new ConfigurationError('a JWKS URL must use https (allowInsecureHttp: true for local tests only)');
    }
    this.#fetch = options.fetch ?? fetch;
    this.#clock = options.clock ?? systemClock;
    this.#maxAgeMs = positive(options.cacheMaxAgeSeconds, 600, 'cacheMaxAgeSeconds') * 1000;
    this.#cooldownMs = positive(options.cooldownSeconds, 30, 'cooldownSeconds') * 1000;
    this.#maxRefetches = positive(options.maxRefetches, 10, 'maxRefetches');
    this.#windowMs = positive(options.refetchWindowSeconds, 3600, 'refetchWindowSeconds') * 1000;
    this.#timeoutMs = positive(options.timeoutMs, 5000, 'timeoutMs');
    this.#maxBytes = positive(options.maxResponseBytes, 65_536, 'maxResponseBytes');
    const rsaAlgorithm = options.rsaAlgorithm ?? 'RS256';
    if (!isRsaAlgorithm(rsaAlgorithm)) throw new ConfigurationError('rsaAlgorithm must be one of RS256, RS384, RS512, PS256, PS384, PS512');
    this.#rsaAlgorithm = rsaAlgorithm;
    this.#events = options.events ?? discardEvents;
  }

  get generation(): number {
    return this.#generation;
  }

  find(kid: string | undefined, alg: JwtAlgorithm): VerificationKey | undefined {
    if (!this.#fresh()) return undefined;
    return selectKey(this.#keys, kid, alg);
  }

  /**
   * Fetches the set again if allowed: always when it is missing or stale (at most once per cooldown), and for an
   * unknown kid only within the refetch budget. Never rejects.
   */
  refresh(_kid?: string): Promise<void> {
    if (this.#inFlight !== undefined) return this.#inFlight;
    const now = this.#clock.now();
    if (this.#lastAttempt !== undefined && now - this.#lastAttempt < this.#cooldownMs) return Promise.resolve();
    if (this.#fresh()) {
      this.#refetches = this.#refetches.filter((at) => now - at < this.#windowMs);
      if (this.#refetches.length >= this.#maxRefetches) return Promise.resolve();
      this.#refetches.push(now);
    }
    this.#lastAttempt = now;
    this.#inFlight = this.#load().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  status(): RemoteJwksStatus {
    return {
      fetches: this.#fetches,
      kids: [...this.#keys.keys()],
      ignored: this.#ignored,
      fetchedAt: this.#fetchedAt,
      lastError: this.#lastError,
    };
  }

  #fresh(): boolean {
    return this.#fetchedAt !== undefined && this.#clock.now() - this.#fetchedAt < this.#maxAgeMs;
  }

  async #load(): Promise<void> {
    this.#fetches += 1;
    try {
      const response = await this.#fetch(this.#url, {
        redirect: 'error',
        signal: AbortSignal.timeout(this.#timeoutMs),
        headers: { accept: 'application/jwk-set+json, application/json' },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const document: unknown = JSON.parse(await this.#readCapped(response));
      if (typeof document !== 'object' || document === null || !Array.isArray((document as { keys?: unknown }).keys)) {
        throw new Error('not a JWK set');
      }
      const keys = new Map<string, VerificationKey>();
      const duplicated = new Set<string>();
      const ignored: IgnoredJwk[] = [];
      for (const entry of (document as { keys: unknown[] }).keys) {
        if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
          ignored.push({ kid: undefined, reason: 'invalid_key' });
          continue;
        }
        const key = importRemoteKey(entry as Record<string, unknown>, this.#rsaAlgorithm);
        if (typeof key === 'string') {
          const kid = (entry as { kid?: unknown }).kid;
          ignored.push({ kid: typeof kid === 'string' && kid !== '' ? kid : undefined, reason: key });
          continue;
        }
        if (keys.has(key.kid)) duplicated.add(key.kid);
        keys.set(key.kid, key);
      }
      // A kid that appears twice is ambiguous: neither copy is trusted.
      for (const kid of duplicated) {
        keys.delete(kid);
        ignored.push({ kid, reason: 'duplicate_kid' });
      }
      this.#report(ignored);
      this.#keys = keys;
      this.#fetchedAt = this.#clock.now();
      this.#lastError = undefined;
      this.#generation += 1;
    } catch (error) {
      this.#lastError = error instanceof Error ? error.message : 'fetch failed';
    }
  }

  /*
   * One event per key newly ignored (kid and reason, never key material): a refused key is why tokens of that kid
   * fail, and an operator must be able to see it. A key ignored fetch after fetch is reported once, not every 10 min.
   */
  #report(ignored: readonly IgnoredJwk[]): void {
    const seen = new Set(this.#ignored.map(ignoredKey));
    this.#ignored = Object.freeze(ignored.map((entry) => Object.freeze({ ...entry })));
    const source = `${this.#url.origin}${this.#url.pathname}`;
    let reported = 0;
    for (const entry of ignored) {
      if (seen.has(ignoredKey(entry))) continue;
      seen.add(ignoredKey(entry));
      if (reported >= MAX_IGNORED_EVENTS_PER_FETCH) break;
      reported += 1;
      try {
        this.#events(
          securityEvent('token.jwks.key_ignored', undefined, {
            reason: entry.reason,
            jwksUri: source,
            ...(entry.kid !== undefined && PRINTABLE_KID.test(entry.kid) ? { kid: entry.kid } : {}),
          }),
        );
      } catch {
        // A failing sink must not change which keys are trusted.
      }
    }
  }

  async #readCapped(response: Response): Promise<string> {
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > this.#maxBytes) throw new Error('JWKS response too large');
    if (response.body === null) return '';
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > this.#maxBytes) throw new Error('JWKS response too large');
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}
