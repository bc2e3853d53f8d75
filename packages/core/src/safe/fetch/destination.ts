import { parseIpAddress, type IpAddress } from './address.js';
import { describeUrl, SsrfError } from './errors.js';
import { normalizeHostname, type HostList } from './hosts.js';

/** What the URL-level checks need from the client's options. */
export interface DestinationRules {
  /** `https:` and, with `allowInsecureHttp`, `http:`. */
  readonly schemes: ReadonlySet<string>;
  /** 80 and 443 plus `allowPorts`. */
  readonly ports: ReadonlySet<number>;
  readonly allowHosts: HostList | undefined;
  readonly denyHosts: HostList | undefined;
}

/** A URL that passed the URL-level checks; its addresses are checked next. */
export interface Destination {
  readonly url: URL;
  /** See `normalizeHostname`: what the resolver, the host lists, SNI and `Host` use. */
  readonly hostname: string;
  /** The address, when the URL names one (`https://127.0.0.1`, `https://[::1]`, `https://2130706433`). */
  readonly literal: IpAddress | undefined;
  readonly port: number;
  /** The `Host` header: the host name, never the pinned address, so virtual hosting and TLS SNI still work. */
  readonly hostHeader: string;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'https:': 443, 'http:': 80 };

/**
 * Parses a URL for an outbound request. Protects against scheme confusion: `file:`, `gopher:`, `dict:`, `ftp:`,
 * `data:`, `jar:` and every other scheme is refused before anything else looks at the URL. Parsing is the WHATWG
 * URL parser's, the same one a browser and Node's `fetch` use, so `0x7f.1`, `2130706433`, `0177.0.0.1` and IDN
 * spellings become one canonical host here rather than being guessed at by a regular expression.
 */
export function parseRequestUrl(input: unknown, hop: number): URL {
  if (typeof input !== 'string' && !(input instanceof URL)) throw new SsrfError('SSRF_INVALID_URL', { hop });
  try {
    return new URL(typeof input === 'string' ? input : input.href);
  } catch (cause) {
    throw new SsrfError('SSRF_INVALID_URL', { hop }, { cause });
  }
}

/**
 * The checks a URL must pass before any DNS query: scheme, no credentials, port, and the host allow/deny lists.
 * Protects against userinfo tricks (`https://good.com@127.0.0.1`), port scanning and smuggling into non-HTTP services
 * (`:25`, `:6379`), and requests to hosts the application never meant to call.
 */
export function checkDestination(url: URL, rules: DestinationRules, hop: number): Destination {
  const details = { url: describeUrl(url), hop };
  if (!rules.schemes.has(url.protocol)) throw new SsrfError('SSRF_SCHEME', details);
  if (url.username !== '' || url.password !== '') throw new SsrfError('SSRF_CREDENTIALS_IN_URL', details);
  const hostname = normalizeHostname(url.hostname);
  if (hostname === '') throw new SsrfError('SSRF_INVALID_URL', details);
  const port = url.port === '' ? (DEFAULT_PORTS[url.protocol] ?? 0) : Number(url.port);
  if (!rules.ports.has(port)) throw new SsrfError('SSRF_PORT_NOT_ALLOWED', { ...details, hostname });
  if (rules.denyHosts?.matches(hostname) === true || (rules.allowHosts !== undefined && !rules.allowHosts.matches(hostname))) {
    throw new SsrfError('SSRF_DESTINATION_NOT_ALLOWED', { ...details, hostname });
  }
  const literal = parseIpAddress(hostname);
  const hostText = literal?.kind() === 'ipv6' ? `[${hostname}]` : hostname;
  return { url, hostname, literal, port, hostHeader: url.port === '' ? hostText : `${hostText}:${url.port}` };
}
