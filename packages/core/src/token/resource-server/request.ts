import type { TokenScheme } from './reasons.js';

/** Request headers as Node (`IncomingHttpHeaders`, lower-case names) or the Fetch API (`Headers`) hand them over. */
export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * What a protected resource needs to know about a request. The adapters build it; code on `node:http` or a Fetch
 * runtime builds it directly.
 */
export interface ResourceRequest {
  /** The method as received (`GET`); compared with the DPoP proof's `htm` exactly. */
  readonly method: string;
  /**
   * The absolute URL of the request as this service is reached (`https://api.example/orders?id=1`): compared with the
   * DPoP proof's `htu` without query and fragment. Behind a TLS-terminating proxy, build it from the public origin
   * (the adapters' `origin` option), not from the hop's scheme; trusting forwarded headers is the caller's decision.
   */
  readonly url: string | URL;
  readonly headers: HeaderSource;
  /** The TLS client certificate, DER-encoded, when the connection presented one (for RFC 8705 bound tokens). */
  readonly peerCertificate?: Uint8Array;
  /** Ties the refusal event to the response (the chain's correlation id), when there is one. */
  readonly correlationId?: string;
}

/**
 * One header's value; `undefined` when absent. Repeated headers come joined by `, ` (as Node and `Headers` join
 * them), so a caller sees that there were several: neither a token nor a proof contains a comma.
 */
export function headerOf(headers: HeaderSource, name: string): string | undefined {
  // Structural, so a `Headers` from another realm or from undici's own copy is read like the global one.
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Readonly<Record<string, string | readonly string[] | undefined>>)[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(', ');
}

/** The credentials in an `Authorization` header. */
export type Credentials =
  | { readonly kind: 'none' }
  | { readonly kind: 'unsupported' }
  | { readonly kind: 'malformed'; readonly scheme: TokenScheme | undefined }
  | { readonly kind: 'token'; readonly scheme: TokenScheme; readonly token: string };

/** RFC 9110 §11.2: `token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const NONE: Credentials = Object.freeze({ kind: 'none' });
const UNSUPPORTED: Credentials = Object.freeze({ kind: 'unsupported' });

/**
 * Parses `Authorization: <scheme> <token68>` (RFC 9110 §11.4, RFC 6750 §2.1, RFC 9449 §7.1). The scheme compares
 * case-insensitively; exactly one space-separated token68 must follow. Anything else is `malformed` (a 400), never
 * guessed at: a header with two tokens, a comma (two headers joined), or trailing parameters is refused.
 */
export function credentialsOf(authorization: string | undefined, dpopEnabled: boolean): Credentials {
  if (authorization === undefined) return NONE;
  const space = authorization.indexOf(' ');
  const schemeText = (space === -1 ? authorization : authorization.slice(0, space)).toLowerCase();
  let scheme: TokenScheme;
  if (schemeText === 'bearer') scheme = 'bearer';
  else if (schemeText === 'dpop' && dpopEnabled) scheme = 'dpop';
  else return UNSUPPORTED;
  if (space === -1) return { kind: 'malformed', scheme };
  // RFC 9110 allows several spaces between scheme and credentials (1*SP); nothing may follow the token.
  const token = authorization.slice(space + 1).replace(/^ +/, '');
  if (!TOKEN68.test(token)) return { kind: 'malformed', scheme };
  return { kind: 'token', scheme, token };
}
