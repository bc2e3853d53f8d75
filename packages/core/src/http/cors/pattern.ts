import { ConfigurationError } from '../../errors.js';
import { canonicalOrigin } from './origin.js';

/**
 * Wildcard origin patterns such as `https://*.example.com`, compiled once and matched on the PARSED origin — never a
 * substring test or a regular expression over the raw header, the classic CORS bypasses (`https://example.com.evil.com`
 * passes `includes('example.com')`; `https://evilexample.com` passes `endsWith('example.com')`).
 */
export interface OriginPattern {
  /** The pattern as configured, for messages. */
  readonly source: string;
  readonly scheme: 'http' | 'https';
  /** Number of leading `*` labels; each matches exactly one DNS label. */
  readonly wildcardLabels: number;
  /** The fixed part of the host, e.g. `example.com`. */
  readonly suffix: string;
  /** Required port, `''` for the scheme's default. */
  readonly port: string;
}

const PATTERN = /^(https?):\/\/((?:\*\.)+)([^*]+)$/i;
/** A DNS label as browsers resolve it (RFC 1123 LDH; punycode `xn--` labels are LDH too). Lower case: URL lowers it. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Compiles `scheme://*.host[:port]` (one or more leading `*.` labels). Refuses what would allow more than the operator
 * can mean: a wildcard anywhere but whole leading labels (`app-*.example.com`, `*example.com`), a wildcard port or
 * scheme, a fixed part that is an IP address or a single label (`https://*.com`), and plain http outside loopback
 * unless `allowInsecure`.
 */
export function compilePattern(source: string, allowInsecure: boolean): OriginPattern {
  const match = PATTERN.exec(source);
  const scheme = match?.[1]?.toLowerCase();
  const stars = match?.[2];
  const rest = match?.[3];
  if (scheme === undefined || stars === undefined || rest === undefined) {
    throw new ConfigurationError(
      `cors: pattern "${source}" must be scheme://*.host[:port] with "*" only as whole leading labels, e.g. "https://*.example.com"`,
    );
  }
  const fixed = canonicalOrigin(`${scheme}://${rest}`, allowInsecure, 'pattern');
  const hostname = fixed.hostname;
  if (hostname.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(hostname)) {
    throw new ConfigurationError(`cors: pattern "${source}" puts a wildcard in front of an IP address`);
  }
  if (!hostname.includes('.') && hostname !== 'localhost') {
    throw new ConfigurationError(
      `cors: pattern "${source}" matches every site under a top-level domain; name at least two fixed labels`,
    );
  }
  return { source, scheme: fixed.scheme, wildcardLabels: stars.length / 2, suffix: hostname, port: fixed.port };
}

/**
 * Whether a parsed, canonical origin matches the pattern: same scheme, same port, and a hostname made of exactly
 * `wildcardLabels` valid DNS labels followed by `.` and the fixed suffix (a dot boundary, so `evilexample.com` never
 * matches `*.example.com`, and a trailing-dot host never matches).
 */
export function matchesPattern(pattern: OriginPattern, url: URL): boolean {
  if (url.protocol !== `${pattern.scheme}:` || url.port !== pattern.port) return false;
  const hostname = url.hostname;
  const cut = hostname.length - pattern.suffix.length - 1;
  if (cut <= 0 || hostname.charCodeAt(cut) !== 0x2e || !hostname.endsWith(pattern.suffix)) return false;
  const labels = hostname.slice(0, cut).split('.');
  return labels.length === pattern.wildcardLabels && labels.every((label) => LABEL.test(label));
}
