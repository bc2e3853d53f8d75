import { Agent, type Dispatcher } from 'undici';
import { pinnedConnector } from './connector.js';
import { Deadline, isConnectFailure } from './deadline.js';
import { checkDestination, parseRequestUrl, type Destination } from './destination.js';
import { describeUrl, SsrfError } from './errors.js';
import { resolveOptions, type ResolvedOptions, type SafeFetchOptions } from './options.js';
import { REDIRECT_STATUSES, prepareRequest, redirectRequest, type PendingRequest, type SafeFetchInit } from './request.js';
import { pinAddresses } from './resolve.js';
import { buildResponse, discardBody } from './response.js';

/** What {@link SafeFetch.check} found: the checked URL and the addresses a request would be pinned to. */
export interface CheckedDestination {
  /** Scheme, host and path (see `describeUrl`). */
  readonly url: string;
  readonly hostname: string;
  readonly port: number;
  /** Every resolved address, all allowed, canonical; a request connects to the first that answers. */
  readonly addresses: readonly string[];
}

/** An SSRF-safe outbound HTTP client; see {@link createSafeFetch}. */
export interface SafeFetch {
  /**
   * Fetches `input` like `fetch`, refusing with a typed {@link SsrfError} any URL, DNS answer, redirect or response
   * that the policy does not allow. Returns a Fetch `Response` (`status`, `headers`, `text()`, `json()`,
   * `arrayBuffer()`, `body`), whose body is capped at `maxResponseBytes` and bounded by the total timeout.
   */
  readonly fetch: (input: string | URL, init?: SafeFetchInit) => Promise<Response>;
  /**
   * Runs every check a request would (scheme, credentials, port, host lists, DNS, addresses) without connecting:
   * for vetting a webhook URL when it is registered. A request later is checked again, since DNS can change.
   */
  readonly check: (input: string | URL) => Promise<CheckedDestination>;
  /** Closes idle connections and waits for requests in flight. */
  readonly close: () => Promise<void>;
}

type RedirectMode = NonNullable<SafeFetchInit['redirect']>;

function originOf(destination: Destination, address: string): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `${destination.url.protocol}//${host}:${destination.port}`;
}

function parseLocation(location: string | string[] | undefined, base: URL, hop: number): URL | undefined {
  if (location === undefined) return undefined;
  // Two Location headers are two answers to one question: refuse rather than pick one.
  if (Array.isArray(location)) throw new SsrfError('SSRF_INVALID_URL', { url: describeUrl(base), hop });
  try {
    return new URL(location, base);
  } catch (cause) {
    throw new SsrfError('SSRF_INVALID_URL', { url: describeUrl(base), hop }, { cause });
  }
}

class SafeFetchClient {
  readonly #options: ResolvedOptions;
  readonly #agent: Agent;

  constructor(options: SafeFetchOptions) {
    this.#options = resolveOptions(options);
    this.#agent = new Agent({
      connect: pinnedConnector({ policy: this.#options.policy, connectTimeoutMs: this.#options.connectTimeoutMs, ca: this.#options.ca }),
      allowH2: false,
    });
  }

  async fetch(input: string | URL, init: SafeFetchInit = {}): Promise<Response> {
    const first = parseRequestUrl(input, 0);
    const mode: unknown = init.redirect ?? 'follow';
    if (mode !== 'follow' && mode !== 'manual' && mode !== 'error') throw new SsrfError('SSRF_INVALID_REQUEST', { url: describeUrl(first) });
    const request = prepareRequest(first, init);
    init.signal?.throwIfAborted();
    const deadline = new Deadline(this.#options.timeoutMs, init.signal);
    try {
      return await this.#follow(request, mode, deadline);
    } catch (error) {
      deadline.finish();
      throw deadline.translate(error);
    }
  }

  /** Sends the request and follows redirects, every hop checked like the first; hands the deadline to the body. */
  async #follow(request: PendingRequest, mode: RedirectMode, deadline: Deadline): Promise<Response> {
    const lifecycle = {
      finish: () => {
        deadline.finish();
      },
      translate: (error: unknown) => deadline.translate(error),
    };
    // One answer per host name for the whole request, redirects included: a name is never re-resolved mid-request.
    const pins = new Map<string, readonly string[]>();
    let current = request;
    for (let hop = 0; ; hop += 1) {
      const destination = checkDestination(current.url, this.#options.rules, hop);
      const addresses = await this.#pin(destination, pins, deadline.signal, hop);
      let raw: Dispatcher.ResponseData;
      try {
        raw = await this.#send(destination, addresses, current, deadline.signal);
      } catch (error) {
        throw deadline.translate(error, { url: describeUrl(current.url), hostname: destination.hostname, hop });
      }
      let location: URL | undefined;
      try {
        location = REDIRECT_STATUSES.has(raw.statusCode) && mode !== 'manual' ? parseLocation(raw.headers.location, current.url, hop + 1) : undefined;
      } catch (error) {
        await discardBody(raw.body);
        throw error;
      }
      if (location === undefined) {
        return buildResponse({ raw, url: current.url, method: current.method, redirected: hop > 0 }, this.#options.maxResponseBytes, lifecycle);
      }
      await discardBody(raw.body);
      const details = { url: describeUrl(current.url), hop: hop + 1 };
      if (mode === 'error') throw new SsrfError('SSRF_REDIRECT_REFUSED', details);
      if (hop >= this.#options.maxRedirects) throw new SsrfError('SSRF_TOO_MANY_REDIRECTS', details);
      current = redirectRequest(current, raw.statusCode, location, this.#options.stripOnCrossOrigin);
    }
  }

  async check(input: string | URL): Promise<CheckedDestination> {
    const destination = checkDestination(parseRequestUrl(input, 0), this.#options.rules, 0);
    const deadline = new Deadline(this.#options.timeoutMs, undefined);
    try {
      const addresses = await this.#pin(destination, new Map(), deadline.signal, 0);
      return { url: describeUrl(destination.url), hostname: destination.hostname, port: destination.port, addresses };
    } catch (error) {
      throw deadline.translate(error);
    } finally {
      deadline.finish();
    }
  }

  close(): Promise<void> {
    return this.#agent.close();
  }

  async #pin(destination: Destination, pins: Map<string, readonly string[]>, signal: AbortSignal, hop: number): Promise<readonly string[]> {
    const cached = destination.literal === undefined ? pins.get(destination.hostname) : undefined;
    if (cached !== undefined) return cached;
    const addresses = await pinAddresses(destination, this.#options.policy, this.#options.resolver, signal, hop);
    if (destination.literal === undefined) pins.set(destination.hostname, addresses);
    return addresses;
  }

  /**
   * Sends one hop to the pinned addresses in order, moving to the next only when the connection itself failed
   * (nothing was sent), so a dual-stack host with a dead IPv6 route still works without ever leaving the checked set.
   */
  async #send(destination: Destination, addresses: readonly string[], request: PendingRequest, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const headers: string[] = ['host', destination.hostHeader];
    for (const [name, value] of request.headers) headers.push(name, value);
    const path = `${destination.url.pathname}${destination.url.search}`;
    // `addresses` is never empty (pinAddresses refuses an empty answer): the last attempt's error is always thrown.
    for (let index = 0; ; index += 1) {
      try {
        return await this.#agent.request({
          origin: originOf(destination, addresses[index] ?? ''),
          path,
          method: request.method,
          headers,
          body: request.body,
          signal,
          headersTimeout: this.#options.timeoutMs,
          bodyTimeout: this.#options.timeoutMs,
        });
      } catch (error) {
        if (index + 1 >= addresses.length || !isConnectFailure(error) || signal.aborted) throw error;
      }
    }
  }
}

/**
 * Builds an outbound HTTP client that is safe to point at URLs an attacker chose (webhooks, link previews, imports,
 * OAuth metadata, avatars by URL). Protects against server-side request forgery:
 *
 * - `https:` only, no credentials in URLs, ports 80/443, optional host allow/deny lists;
 * - every A/AAAA answer checked against the special-purpose ranges (loopback, private, link-local and cloud metadata,
 *   CGNAT, multicast, reserved, IPv4 hidden in IPv6, …) — one bad answer refuses the name;
 * - the connection pinned to the checked address, with `Host` and TLS SNI still the host name, so DNS rebinding
 *   cannot swap the address between check and connect; certificates are verified against the host name;
 * - redirects re-checked hop by hop (at most `maxRedirects`), credentials and cookies dropped across origins,
 *   methods rewritten like `fetch`;
 * - connect and total timeouts, and a response-size cap enforced while streaming.
 *
 * Named loosenings (`allowInsecureHttp`, `allowPorts`, `allowAddresses`) are reported through `events`.
 */
export function createSafeFetch(options: SafeFetchOptions = {}): SafeFetch {
  const client = new SafeFetchClient(options);
  return {
    fetch: (input, init) => client.fetch(input, init),
    check: (input) => client.check(input),
    close: () => client.close(),
  };
}

let defaultClient: SafeFetchClient | undefined;

/**
 * `fetch` with the default SSRF policy (see {@link createSafeFetch}): `https:` only, public addresses only, 5
 * redirects, 10 MiB, 10 s to connect, 30 s in total. Protects against SSRF for callers that need no options; the
 * shared client keeps connections alive between calls.
 */
export function safeFetch(input: string | URL, init?: SafeFetchInit): Promise<Response> {
  defaultClient ??= new SafeFetchClient({});
  return defaultClient.fetch(input, init);
}
