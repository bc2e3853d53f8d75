import type { IncomingHttpHeaders } from 'node:http';
import { parseCookies } from '../cookie/parse.js';
import type { RequestView } from './types.js';

/** What an adapter hands the chain: the raw request, before any interpretation. */
export interface RequestInput {
  readonly method: string;
  /** The request target as received (`req.url`): origin-form `/path?query`, or absolute-form from a proxy. */
  readonly target: string;
  /** Reads a header by lower-case name. See {@link nodeHeaderReader} and {@link fetchHeaderReader}. */
  readonly header: (name: string) => string | undefined;
  /** `socket.remoteAddress`; `undefined` when the socket is gone (the view then reports `0.0.0.0`, trusted by nobody). */
  readonly peerAddress: string | undefined;
  /** Whether this hop is TLS (`socket.encrypted`). */
  readonly tls: boolean;
}

/** Where the client is, as far as this process can trust: the result of the trusted-proxy rules. */
export interface ClientAddress {
  readonly ip: string;
  /** Whether the client's own connection (to the edge) was HTTPS. */
  readonly secure: boolean;
}

/**
 * Resolves the client address from the peer and, only through trusted hops, from `Forwarded` / `X-Forwarded-*`.
 * The default trusts nobody: the peer is the client.
 */
export type ClientAddressResolver = (peerAddress: string, tls: boolean, header: (name: string) => string | undefined) => ClientAddress;

/** Trusts no proxy: the TCP peer is the client, and the scheme is this hop's. */
export const trustNoProxy: ClientAddressResolver = (peerAddress, tls) => ({ ip: peerAddress, secure: tls });

/** A header reader over Node's `IncomingHttpHeaders` (Express, Fastify, `node:http`). */
export function nodeHeaderReader(headers: IncomingHttpHeaders): (name: string) => string | undefined {
  return (name) => {
    const value = headers[name];
    return typeof value === 'string' ? value : value?.join(', ');
  };
}

/** A header reader over a Fetch `Headers` object (Hono, Deno, Bun, undici). */
export function fetchHeaderReader(headers: Headers): (name: string) => string | undefined {
  return (name) => headers.get(name) ?? undefined;
}

function pathOf(target: string): string {
  let start = 0;
  // Absolute-form (RFC 9112 §3.2.2) from a forward proxy: skip scheme and authority.
  if (!target.startsWith('/')) {
    const scheme = target.indexOf('://');
    if (scheme !== -1) {
      const slash = target.indexOf('/', scheme + 3);
      if (slash === -1) return '/';
      start = slash;
    }
  }
  const query = target.indexOf('?', start);
  const hash = target.indexOf('#', start);
  let end = target.length;
  if (query !== -1) end = query;
  if (hash !== -1 && hash < end) end = hash;
  return target.slice(start, end) || '/';
}

/** The lazily computed request view the chain hands to guards. */
export class LazyRequestView implements RequestView {
  readonly method: string;
  readonly path: string;
  readonly target: string;
  readonly header: (name: string) => string | undefined;
  readonly peerAddress: string;
  readonly tls: boolean;
  readonly #resolve: ClientAddressResolver;
  #url: URL | undefined;
  #cookies: ReadonlyMap<string, string> | undefined;
  #client: ClientAddress | undefined;

  constructor(input: RequestInput, resolve: ClientAddressResolver) {
    this.method = input.method.toUpperCase();
    this.target = input.target;
    this.path = pathOf(input.target);
    this.header = input.header;
    this.peerAddress = input.peerAddress ?? '0.0.0.0';
    this.tls = input.tls;
    this.#resolve = resolve;
  }

  get url(): URL {
    if (this.#url === undefined) {
      const base = `${this.secure ? 'https' : 'http'}://${this.header('host') ?? 'localhost'}`;
      try {
        this.#url = new URL(this.target, base);
      } catch {
        // A Host header that is not a valid authority: fall back to a neutral base rather than throwing in a guard.
        this.#url = new URL(this.path.startsWith('/') ? this.target : '/', 'http://invalid.invalid');
      }
    }
    return this.#url;
  }

  get cookies(): ReadonlyMap<string, string> {
    this.#cookies ??= parseCookies(this.header('cookie'));
    return this.#cookies;
  }

  get clientIp(): string {
    return this.#clientAddress().ip;
  }

  get secure(): boolean {
    return this.#clientAddress().secure;
  }

  #clientAddress(): ClientAddress {
    this.#client ??= this.#resolve(this.peerAddress, this.tls, this.header);
    return this.#client;
  }
}
