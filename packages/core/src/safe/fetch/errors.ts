import { RampartError } from '../../errors.js';

/**
 * Stable codes of {@link SsrfError}. Every code except `SSRF_NETWORK_ERROR` and `SSRF_TLS_FAILED` is a refusal:
 * nothing was sent, or the exchange was cut off on purpose.
 */
export type SsrfErrorCode =
  /** The URL (or a redirect's `Location`) does not parse. */
  | 'SSRF_INVALID_URL'
  /** A scheme other than `https:` (or `http:` with `allowInsecureHttp`): `file:`, `gopher:`, `dict:`, `ftp:`, … */
  | 'SSRF_SCHEME'
  /** `user:pass@` in the URL: a classic host-confusion trick, and secrets in URLs end up in logs. */
  | 'SSRF_CREDENTIALS_IN_URL'
  /** A port outside `allowPorts` (default 80 and 443). */
  | 'SSRF_PORT_NOT_ALLOWED'
  /** The host is not in `allowHosts`, or is in `denyHosts`. */
  | 'SSRF_DESTINATION_NOT_ALLOWED'
  /** The host is, or resolves to, an address in a blocked range (loopback, private, link-local, metadata, …). */
  | 'SSRF_BLOCKED_ADDRESS'
  /** The host name did not resolve, or the resolver answered something that is not an address. */
  | 'SSRF_DNS_FAILED'
  /** More redirects than `maxRedirects`, including redirect loops. */
  | 'SSRF_TOO_MANY_REDIRECTS'
  /** A redirect with `redirect: 'error'`. */
  | 'SSRF_REDIRECT_REFUSED'
  /** The connect timeout or the total timeout expired. */
  | 'SSRF_TIMEOUT'
  /** The response body (declared or streamed) is larger than `maxResponseBytes`. */
  | 'SSRF_RESPONSE_TOO_LARGE'
  /** The request itself is unsafe or malformed: a `Host` header, a forbidden method, a body on GET, bad headers. */
  | 'SSRF_INVALID_REQUEST'
  /** TLS failed: certificate not trusted, or not valid for the host name. */
  | 'SSRF_TLS_FAILED'
  /** The connection failed or broke, or the server answered something that is not HTTP. */
  | 'SSRF_NETWORK_ERROR';

/** Which named range an address fell in; see `checkAddress`. */
export type BlockedRange =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'linkLocal'
  | 'carrierGradeNat'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'documentation'
  | 'benchmarking'
  | 'uniqueLocal'
  | 'siteLocal'
  | 'ipv4Compatible'
  | 'nat64Local'
  | 'teredo'
  | 'specialPurpose'
  | 'notGlobalUnicast'
  | 'denied';

/** Developer-facing details of a refusal. Never part of `message`; sanitized so they are safe to log. */
export interface SsrfErrorDetails {
  /** Scheme, host and path of the refused URL (no credentials, query or fragment), cut to 200 characters. */
  readonly url?: string;
  /** The host name (ASCII, lower case) the decision was about. */
  readonly hostname?: string;
  /** The canonical address that was refused. */
  readonly address?: string;
  /** The range that address is in. */
  readonly range?: BlockedRange;
  /** Redirect hop the refusal happened at: 0 is the URL the caller gave. */
  readonly hop?: number;
  /** For `SSRF_TIMEOUT`: which timeout expired. */
  readonly phase?: 'connect' | 'total';
}

const MESSAGES: Readonly<Record<SsrfErrorCode, string>> = {
  SSRF_INVALID_URL: 'the URL is not a valid absolute URL',
  SSRF_SCHEME: 'the URL scheme is not allowed',
  SSRF_CREDENTIALS_IN_URL: 'URLs with credentials (user:password@) are refused',
  SSRF_PORT_NOT_ALLOWED: 'the destination port is not allowed',
  SSRF_DESTINATION_NOT_ALLOWED: 'the destination host is not allowed',
  SSRF_BLOCKED_ADDRESS: 'the destination address is in a blocked range',
  SSRF_DNS_FAILED: 'the destination host name could not be resolved',
  SSRF_TOO_MANY_REDIRECTS: 'too many redirects',
  SSRF_REDIRECT_REFUSED: 'the response is a redirect and redirects are refused',
  SSRF_TIMEOUT: 'the request timed out',
  SSRF_RESPONSE_TOO_LARGE: 'the response is larger than allowed',
  SSRF_INVALID_REQUEST: 'the request is not allowed',
  SSRF_TLS_FAILED: 'the TLS connection could not be verified',
  SSRF_NETWORK_ERROR: 'the connection failed',
};

/**
 * Thrown by the SSRF-safe client. The `message` is fixed per code and never contains the URL, a host name or anything
 * else the attacker chose, so it can reach a client; what a developer needs to debug is in `details`, sanitized.
 */
export class SsrfError extends RampartError<SsrfErrorCode> {
  readonly details: SsrfErrorDetails;

  constructor(code: SsrfErrorCode, details: SsrfErrorDetails = {}, options?: ErrorOptions) {
    const range = details.range === undefined ? '' : ` (${details.range})`;
    super(code, `${MESSAGES[code]}${range}`, options);
    this.details = details;
  }
}

const MAX_DESCRIBED = 200;

/** The loggable form of a URL: no userinfo, no query (tokens live there), no fragment, bounded length. */
export function describeUrl(url: URL): string {
  const text = `${url.protocol}//${url.host}${url.pathname}`;
  return text.length > MAX_DESCRIBED ? `${text.slice(0, MAX_DESCRIBED)}…` : text;
}
