import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { systemClock, type Clock } from '../../clock.js';
import { ConfigurationError } from '../../errors.js';
import type { JwtAlgorithm } from './algorithms.js';
import { algorithmOfJwk, selectKey, type VerificationKey } from './keys.js';
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
  readonly fetch?: typeof fetch;
  readonly clock?: Clock;
}

/** What an operator sees of a remote set (no key material). */
export interface RemoteJwksStatus {
  readonly fetches: number;
  readonly kids: readonly string[];
  readonly fetchedAt: number | undefined;
  readonly lastError: string | undefined;
}

/*
 * Only public keys of the two asymmetric algorithms are taken from the network. An `oct` key in a remote JWKS would
 * turn a public document into an HMAC secret anyone can read (algorithm confusion); a key with private members is a
 * publishing mistake that Rampart will not build upon.
 */
function importRemoteKey(jwk: Record<string, unknown>): VerificationKey | undefined {
  const alg = algorithmOfJwk(jwk);
  if (alg === undefined || alg === 'HS256') return undefined;
  if ('d' in jwk || 'k' in jwk) return undefined;
  if (jwk.use !== undefined && jwk.use !== 'sig') return undefined;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return undefined;
  if (jwk.alg !== undefined && jwk.alg !== alg) return undefined;
  if (typeof jwk.kid !== 'string' || jwk.kid === '') return undefined;
  try {
    const { kty, crv, x, y } = jwk as JsonWebKey;
    return { kid: jwk.kid, alg, key: createPublicKey({ key: { kty, crv, x, y }, format: 'jwk' }) };
  } catch {
    return undefined;
  }
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
 * refuses plain http, redirects, oversized or slow responses, symmetric and private keys. When the set cannot be
 * fetched, verification fails closed (`unknown_kid`).
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
  #keys = new Map<string, VerificationKey>();
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
    return { fetches: this.#fetches, kids: [...this.#keys.keys()], fetchedAt: this.#fetchedAt, lastError: this.#lastError };
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
      for (const entry of (document as { keys: unknown[] }).keys) {
        if (typeof entry !== 'object' || entry === null) continue;
        const key = importRemoteKey(entry as Record<string, unknown>);
        if (key === undefined) continue;
        if (keys.has(key.kid)) duplicated.add(key.kid);
        keys.set(key.kid, key);
      }
      // A kid that appears twice is ambiguous: neither copy is trusted.
      for (const kid of duplicated) keys.delete(kid);
      this.#keys = keys;
      this.#fetchedAt = this.#clock.now();
      this.#lastError = undefined;
      this.#generation += 1;
    } catch (error) {
      this.#lastError = error instanceof Error ? error.message : 'fetch failed';
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
