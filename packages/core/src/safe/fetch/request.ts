import { describeUrl, SsrfError } from './errors.js';

/** Request headers as `fetch` takes them. */
export type SafeFetchHeaders = Headers | Readonly<Record<string, string>> | readonly (readonly [string, string])[];

/**
 * Request bodies that can be sent again on a 307/308 redirect. Streams are not accepted: a body that cannot be
 * replayed would make redirects silently lose it; buffer it first (the size is yours to bound).
 */
export type SafeFetchBody = string | Uint8Array | ArrayBuffer | URLSearchParams;

/** Per-request settings, a subset of `RequestInit`. */
export interface SafeFetchInit {
  /** Default `GET`. `CONNECT`, `TRACE` and `TRACK` are refused, as by `fetch`. */
  readonly method?: string;
  /** `Host`, and the connection and framing headers (`Connection`, `Transfer-Encoding`, `Content-Length`, …) are refused. */
  readonly headers?: SafeFetchHeaders;
  readonly body?: SafeFetchBody | null;
  /** Aborts the request; the request then rejects with the signal's reason, as `fetch` does. */
  readonly signal?: AbortSignal;
  /** `follow` (default): follow up to `maxRedirects`, each hop re-checked. `manual`: return the 3xx. `error`: refuse it. */
  readonly redirect?: 'follow' | 'manual' | 'error';
}

/** One hop's request, after validation. */
export interface PendingRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | Uint8Array | null;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
/**
 * Set by the client, never by the caller: a caller-chosen `Host` reaches another virtual host behind the checked
 * address (an internal admin vhost on a shared proxy), and framing or connection headers can split one request
 * into two on the wire (request smuggling).
 */
const FORBIDDEN_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
  'expect',
  'http2-settings',
]);
const BODY_HEADERS = ['content-type', 'content-encoding', 'content-language', 'content-location'];

function invalid(url: URL, cause?: unknown): SsrfError {
  return new SsrfError('SSRF_INVALID_REQUEST', { url: describeUrl(url), hop: 0 }, cause === undefined ? undefined : { cause });
}

function method(url: URL, value: unknown): string {
  if (value === undefined) return 'GET';
  if (typeof value !== 'string' || !TOKEN.test(value)) throw invalid(url);
  const upper = value.toUpperCase();
  if (FORBIDDEN_METHODS.has(upper)) throw invalid(url);
  // Fetch normalizes only these six (RFC 9110 methods are case-sensitive); `patch` stays `patch`.
  return NORMALIZED_METHODS.has(upper) ? upper : value;
}

function headers(url: URL, init: SafeFetchHeaders | undefined): Headers {
  let result: Headers;
  try {
    // undici's Headers refuses invalid names and values with CR, LF or NUL: no header injection.
    result = new Headers(init as ConstructorParameters<typeof Headers>[0]);
  } catch (cause) {
    throw invalid(url, cause);
  }
  for (const name of result.keys()) if (FORBIDDEN_HEADERS.has(name)) throw invalid(url);
  return result;
}

function body(url: URL, value: unknown, requestMethod: string, requestHeaders: Headers): string | Uint8Array | null {
  if (value === undefined || value === null) return null;
  if (requestMethod === 'GET' || requestMethod === 'HEAD') throw invalid(url);
  let contentType: string | undefined;
  let bytes: string | Uint8Array;
  if (typeof value === 'string') {
    bytes = value;
    contentType = 'text/plain;charset=UTF-8';
  } else if (value instanceof URLSearchParams) {
    bytes = value.toString();
    contentType = 'application/x-www-form-urlencoded;charset=UTF-8';
  } else if (value instanceof Uint8Array) {
    bytes = value;
  } else if (value instanceof ArrayBuffer) {
    bytes = new Uint8Array(value);
  } else {
    throw invalid(url);
  }
  if (contentType !== undefined && !requestHeaders.has('content-type')) requestHeaders.set('content-type', contentType);
  return bytes;
}

/**
 * Validates what the caller asked for before anything is resolved or sent. Protects against request smuggling and
 * virtual-host switching through caller-supplied `Host`, `Transfer-Encoding` or `Content-Length`, against header
 * injection (CR/LF in values), and against `TRACE`/`CONNECT` (cross-site tracing, tunnelling to another host).
 */
export function prepareRequest(url: URL, init: SafeFetchInit): PendingRequest {
  const requestMethod = method(url, init.method);
  const requestHeaders = headers(url, init.headers);
  return { url, method: requestMethod, headers: requestHeaders, body: body(url, init.body, requestMethod, requestHeaders) };
}

/** Statuses that redirect (RFC 9110 §15.4); 300 and 304 do not carry a target to follow. */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * The next hop's request, per the Fetch standard's HTTP-redirect fetch. Protects against credential leaks: when the
 * origin changes (scheme, host or port), `Authorization`, `Cookie`, `Proxy-Authorization` and the configured extra
 * names are removed and stay removed for the rest of the chain, so a redirect to an attacker's host never carries
 * them. 301/302 turn POST into GET and 303 turns anything but GET/HEAD into GET, dropping the body and its headers.
 */
export function redirectRequest(current: PendingRequest, status: number, next: URL, stripOnCrossOrigin: readonly string[]): PendingRequest {
  const nextHeaders = new Headers(current.headers);
  let nextMethod = current.method;
  let nextBody = current.body;
  if (((status === 301 || status === 302) && current.method === 'POST') || (status === 303 && current.method !== 'GET' && current.method !== 'HEAD')) {
    nextMethod = 'GET';
    nextBody = null;
    for (const name of BODY_HEADERS) nextHeaders.delete(name);
  }
  if (next.origin !== current.url.origin) for (const name of stripOnCrossOrigin) nextHeaders.delete(name);
  return { url: next, method: nextMethod, headers: nextHeaders, body: nextBody };
}
