import { ConfigurationError } from '../../errors.js';

/**
 * Origins as the Fetch standard serializes them (§3.1 `Origin` header; HTML "serialization of an origin"):
 * `scheme://host[:port]`, scheme and host lower-case, the host in ASCII (punycode), the default port omitted, no
 * trailing slash. Browsers send exactly this, so a canonical allowlist can be compared byte for byte.
 */

/** Longest `Origin` value the guard parses: a 253-byte host, the scheme and a port fit well within it. */
export const MAX_ORIGIN_LENGTH = 300;

/** A parsed, canonical allowed origin. */
export interface CanonicalOrigin {
  /** The serialization, e.g. `https://app.example.com`. */
  readonly origin: string;
  readonly scheme: 'http' | 'https';
  /** Lower-case ASCII hostname; IPv6 in brackets. */
  readonly hostname: string;
  /** The port, or `''` for the scheme's default. */
  readonly port: string;
}

/**
 * Hosts a browser treats as potentially trustworthy over plain http (W3C Secure Contexts §3.1): `localhost`,
 * `*.localhost` and loopback addresses. Listing `http://localhost:3000` is a development setup, not a downgrade.
 */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/**
 * Validates one configured origin and returns its canonical form. Protects against allowlists that can never match
 * or match more than meant: a path, query or userinfo (`https://app.example.com@evil.com` is `evil.com`), a default
 * port written out, a trailing-dot host, the opaque origin `null` (any sandboxed iframe or `data:` page sends it), a
 * scheme other than http(s), and plain http to a non-loopback host unless `allowInsecure`. Letter case and one
 * trailing `/` are forgiven; anything else non-canonical throws with the canonical spelling in the message.
 */
export function canonicalOrigin(raw: string, allowInsecure: boolean, what = 'origin'): CanonicalOrigin {
  if (raw.trim().toLowerCase() === 'null') {
    throw new ConfigurationError(`cors: the ${what} "null" is the opaque origin that any sandboxed page can send; it cannot be allowed`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigurationError(`cors: ${what} "${raw}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(`cors: ${what} "${raw}" must use https (or http for loopback)`);
  }
  const origin = url.origin;
  const lower = raw.toLowerCase();
  if (lower !== origin && lower !== `${origin}/`) {
    throw new ConfigurationError(
      `cors: ${what} "${raw}" must be a bare origin (scheme, host, port; no path, query, userinfo or default port): write "${origin}"`,
    );
  }
  if (url.hostname.endsWith('.')) {
    throw new ConfigurationError(`cors: ${what} "${raw}" has a trailing-dot host; write it without the dot`);
  }
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  if (scheme === 'http' && !allowInsecure && !isLoopbackHost(url.hostname)) {
    throw new ConfigurationError(
      `cors: ${what} "${raw}" is plain http: anyone on the network can impersonate it; use https, or set allowInsecureOrigins: true`,
    );
  }
  return { origin, scheme, hostname: url.hostname, port: url.port };
}

/**
 * Parses an `Origin` request value and returns the URL only when the value is already the canonical serialization
 * of what it parses to. A browser never sends anything else, so a value with upper case, a trailing slash, a default
 * port, userinfo, a backslash, percent-escapes, whitespace or control characters (all of which the WHATWG URL parser
 * would quietly rewrite into something that might match) is refused instead of normalised.
 */
export function parseCanonicalOrigin(value: string): URL | undefined {
  if (value.length > MAX_ORIGIN_LENGTH) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.origin !== value) return undefined;
  return url;
}

/** Printable ASCII without `\`, short enough: the common case, copied as is. */
const PLAIN = /^[\x20-\x5b\x5d-\x7e]{0,200}$/;

/** Longest attacker-supplied value copied into an event. */
export const MAX_EVENT_VALUE_LENGTH = 200;

/**
 * Makes an attacker-supplied value safe to put in a security event for the operator: at most
 * {@link MAX_EVENT_VALUE_LENGTH} characters of printable ASCII, every other code unit (and `\`) escaped as `\uXXXX`,
 * so a log line cannot be split or forged with CR/LF or terminal escapes. Never sent to the client.
 */
export function sanitizeForEvent(value: string): string {
  if (PLAIN.test(value)) return value;
  let out = '';
  for (let index = 0; index < value.length; index += 1) {
    if (out.length >= MAX_EVENT_VALUE_LENGTH) return `${out.slice(0, MAX_EVENT_VALUE_LENGTH)}...`;
    const code = value.charCodeAt(index);
    out += code >= 0x20 && code <= 0x7e && code !== 0x5c ? value.charAt(index) : `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return out.length > MAX_EVENT_VALUE_LENGTH ? `${out.slice(0, MAX_EVENT_VALUE_LENGTH)}...` : out;
}
