import { systemClock, type Clock } from '../../clock.js';
import type { SecurityEventSink } from '../../events.js';
import type { SafeFetch } from '../../safe/fetch/client.js';
import { parseUntrustedJson } from '../../validate/json.js';
import type { JwtAlgorithm } from '../jwt/algorithms.js';
import type { VerificationKey } from '../jwt/keys.js';
import type { VerificationKeySource } from '../jwt/keyset.js';
import { RemoteJwks, type RemoteJwksOptions, type RemoteJwksStatus } from '../jwt/remote-jwks.js';

/** Largest metadata document read (RFC 8414 documents are a few KiB). */
const MAX_METADATA_BYTES = 64 * 1024;

/**
 * The metadata locations tried for `issuer`, in order: RFC 8414 §3.1 (`/.well-known/oauth-authorization-server`
 * inserted between host and path, any trailing `/` of the path removed), then OpenID Connect Discovery 1.0 §4
 * (`/.well-known/openid-configuration` appended to the issuer).
 */
export function metadataUrls(issuer: URL): readonly URL[] {
  const path = issuer.pathname.replace(/\/+$/, '');
  return [
    new URL(`${issuer.origin}/.well-known/oauth-authorization-server${path}`),
    new URL(`${issuer.origin}${path}/.well-known/openid-configuration`),
  ];
}

/** Checks a URL from configuration or metadata: https (or, by name, http), no credentials, no fragment. */
export function checkEndpoint(value: string | URL, allowInsecure: boolean): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && !(allowInsecure && url.protocol === 'http:')) return undefined;
  if (url.username !== '' || url.password !== '' || url.hash !== '') return undefined;
  return url;
}

/** What discovery found. */
export interface DiscoveredMetadata {
  readonly metadataUrl: string;
  readonly jwksUri: string;
}

/**
 * Fetches the issuer's metadata and returns its `jwks_uri`. A document is used only when its `issuer` equals the
 * configured issuer exactly (RFC 8414 §3.3, OIDC Discovery §4.3): a document served for another issuer, or under a
 * look-alike, is refused (and the next location tried). Throws when no location yields a usable document.
 */
export async function discoverJwksUri(issuer: string, http: SafeFetch, allowInsecure: boolean): Promise<DiscoveredMetadata> {
  const issuerUrl = new URL(issuer);
  const problems: string[] = [];
  for (const url of metadataUrls(issuerUrl)) {
    let text: string;
    try {
      const response = await http.fetch(url, { headers: { accept: 'application/json' }, redirect: 'error' });
      if (response.status !== 200) {
        await response.body?.cancel();
        problems.push(`${url.pathname}: HTTP ${response.status}`);
        continue;
      }
      text = await response.text();
    } catch (error) {
      problems.push(`${url.pathname}: ${error instanceof Error ? (error as { code?: string }).code ?? error.name : 'fetch failed'}`);
      continue;
    }
    const parsed = parseUntrustedJson(text, { maxBytes: MAX_METADATA_BYTES });
    if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
      problems.push(`${url.pathname}: not a JSON object`);
      continue;
    }
    const metadata = parsed.value as Record<string, unknown>;
    if (metadata.issuer !== issuer) {
      problems.push(`${url.pathname}: issuer mismatch`);
      continue;
    }
    const jwksUri = typeof metadata.jwks_uri === 'string' ? checkEndpoint(metadata.jwks_uri, allowInsecure) : undefined;
    if (jwksUri === undefined) {
      problems.push(`${url.pathname}: no usable jwks_uri`);
      continue;
    }
    return { metadataUrl: url.href, jwksUri: jwksUri.href };
  }
  throw new Error(`metadata discovery failed (${problems.join('; ')})`);
}

/** RemoteJwks settings the resource server passes through. */
export type JwksCacheOptions = Pick<
  RemoteJwksOptions,
  'cacheMaxAgeSeconds' | 'cooldownSeconds' | 'maxRefetches' | 'refetchWindowSeconds' | 'timeoutMs' | 'maxResponseBytes' | 'rsaAlgorithm'
>;

/** What an operator sees of the resource server's keys. */
export interface IssuerKeysStatus {
  readonly metadataUrl: string | undefined;
  readonly jwksUri: string | undefined;
  readonly jwks: RemoteJwksStatus | undefined;
  readonly lastError: string | undefined;
}

/** A key source that can tell whether it holds usable keys at all (so a refusal can be a 503 rather than a 401). */
export interface IssuerKeys extends VerificationKeySource {
  /** Whether keys were loaded and are still fresh; `false` means tokens cannot be checked right now. */
  available(): boolean;
  /** Loads metadata and keys now (at start, so the first request does not wait). Never rejects. */
  load(): Promise<void>;
  status(): IssuerKeysStatus;
}

export interface RemoteIssuerKeysOptions {
  readonly issuer: string;
  /** An explicit `jwks_uri`; without it, the issuer's metadata is discovered. */
  readonly jwksUri: URL | undefined;
  readonly http: SafeFetch;
  readonly allowInsecure: boolean;
  readonly jwks: JwksCacheOptions;
  readonly clock: Clock | undefined;
  /** Receives the key set's `token.jwks.key_ignored`. */
  readonly events?: SecurityEventSink;
}

/**
 * The issuer's keys, found through its metadata (or at a configured `jwks_uri`) and held by a {@link RemoteJwks}.
 *
 * Protects against an unreachable or hostile issuer turning into a hole: discovery and key fetches go through the
 * SSRF-safe client (https only unless loosened by name, public addresses only unless allowed by name, no redirects,
 * bounded size and time); a failed discovery is retried at most once per cooldown, whatever the request rate; and
 * until keys are loaded every token is refused (fail closed).
 */
export class RemoteIssuerKeys implements IssuerKeys {
  readonly #options: RemoteIssuerKeysOptions;
  readonly #clock: Clock;
  readonly #cooldownMs: number;
  readonly #maxAgeMs: number;
  #jwks: RemoteJwks | undefined;
  #metadataUrl: string | undefined;
  #jwksUri: string | undefined;
  #lastAttempt: number | undefined;
  #discovering: Promise<void> | undefined;
  #lastError: string | undefined;

  constructor(options: RemoteIssuerKeysOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#cooldownMs = (options.jwks.cooldownSeconds ?? 30) * 1000;
    this.#maxAgeMs = (options.jwks.cacheMaxAgeSeconds ?? 600) * 1000;
    if (options.jwksUri !== undefined) this.#useJwksUri(options.jwksUri.href);
  }

  get generation(): number {
    return this.#jwks?.generation ?? 0;
  }

  find(kid: string | undefined, alg: JwtAlgorithm): VerificationKey | undefined {
    return this.#jwks?.find(kid, alg);
  }

  async refresh(kid: string | undefined): Promise<void> {
    if (this.#jwks === undefined) await this.#discover();
    await this.#jwks?.refresh(kid);
  }

  available(): boolean {
    const fetchedAt = this.#jwks?.status().fetchedAt;
    return fetchedAt !== undefined && this.#clock.now() - fetchedAt < this.#maxAgeMs;
  }

  load(): Promise<void> {
    return this.refresh(undefined);
  }

  status(): IssuerKeysStatus {
    const jwks = this.#jwks?.status();
    return { metadataUrl: this.#metadataUrl, jwksUri: this.#jwksUri, jwks, lastError: jwks?.lastError ?? this.#lastError };
  }

  #useJwksUri(uri: string): void {
    const http = this.#options.http;
    this.#jwksUri = uri;
    this.#jwks = new RemoteJwks({
      ...this.#options.jwks,
      url: uri,
      allowInsecureHttp: this.#options.allowInsecure,
      ...(this.#options.clock === undefined ? {} : { clock: this.#options.clock }),
      ...(this.#options.events === undefined ? {} : { events: this.#options.events }),
      // The key set is fetched through the SSRF-safe client, never the global fetch.
      fetch: (input, init) =>
        http.fetch(input instanceof Request ? input.url : input, {
          headers: new Headers(init?.headers),
          redirect: 'error',
          ...(init?.signal === undefined || init.signal === null ? {} : { signal: init.signal }),
        }),
    });
  }

  #discover(): Promise<void> {
    if (this.#discovering !== undefined) return this.#discovering;
    const now = this.#clock.now();
    if (this.#lastAttempt !== undefined && now - this.#lastAttempt < this.#cooldownMs) return Promise.resolve();
    this.#lastAttempt = now;
    this.#discovering = discoverJwksUri(this.#options.issuer, this.#options.http, this.#options.allowInsecure)
      .then(
        (found) => {
          this.#metadataUrl = found.metadataUrl;
          this.#useJwksUri(found.jwksUri);
          this.#lastError = undefined;
        },
        (error: unknown) => {
          this.#lastError = error instanceof Error ? error.message : 'metadata discovery failed';
        },
      )
      .finally(() => {
        this.#discovering = undefined;
      });
    return this.#discovering;
  }
}

/** Keys held in this process (a `JwtKeySet`, or any other source): always available. */
export class LocalIssuerKeys implements IssuerKeys {
  readonly #source: VerificationKeySource;

  constructor(source: VerificationKeySource) {
    this.#source = source;
  }

  get generation(): number {
    return this.#source.generation;
  }

  find(kid: string | undefined, alg: JwtAlgorithm): VerificationKey | undefined {
    return this.#source.find(kid, alg);
  }

  refresh(kid: string | undefined): Promise<void> {
    return this.#source.refresh?.(kid) ?? Promise.resolve();
  }

  available(): boolean {
    return true;
  }

  load(): Promise<void> {
    return this.refresh(undefined);
  }

  status(): IssuerKeysStatus {
    return { metadataUrl: undefined, jwksUri: undefined, jwks: undefined, lastError: undefined };
  }
}
