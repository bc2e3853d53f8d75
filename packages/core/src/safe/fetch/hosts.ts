import { ConfigurationError } from '../../errors.js';
import { formatIpAddress, parseIpAddress } from './address.js';

/**
 * The one form of a URL host used for every decision: lower-case ASCII (the WHATWG parser already applied IDNA, so
 * `ⓛⓞⓒⓐⓛⓗⓞⓢⓣ` is `localhost`), without the trailing dots of an absolute name (`localhost.` and `localhost..` are `localhost`), and
 * IPv6 without brackets in RFC 5952 form.
 */
export function normalizeHostname(hostname: string): string {
  if (hostname.startsWith('[') && hostname.endsWith(']')) {
    const address = parseIpAddress(hostname.slice(1, -1));
    return address === undefined ? hostname : formatIpAddress(address);
  }
  let end = hostname.length;
  while (end > 0 && hostname.charCodeAt(end - 1) === 0x2e) end -= 1; // a loop, not /\.+$/: no quadratic backtracking
  return hostname.slice(0, end).toLowerCase();
}

/** A compiled host list: exact names (or IP literals) and `*.suffix` wildcards, which match subdomains only. */
export interface HostList {
  readonly matches: (hostname: string) => boolean;
  readonly size: number;
}

const WILDCARD = '*.';

/** Runs a configured host through the URL parser, so a list entry and a request's host are compared in the same form. */
function normalizeEntry(option: string, index: number, entry: unknown): string {
  if (typeof entry !== 'string' || entry === '') throw new ConfigurationError(`safe/fetch: ${option}[${index}] must be a host name`);
  let url: URL;
  try {
    url = new URL(`https://${entry}/`);
  } catch (cause) {
    throw new ConfigurationError(`safe/fetch: ${option}[${index}] is not a valid host name`, { cause });
  }
  // `evil.com/x`, `a@b`, `host:8443` parse as something else: an entry is a host and nothing more.
  if (url.username !== '' || url.password !== '' || url.port !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new ConfigurationError(`safe/fetch: ${option}[${index}] must be a bare host name, without port, path or credentials`);
  }
  return normalizeHostname(url.hostname);
}

/**
 * Compiles `allowHosts` / `denyHosts`. Entries are host names (`api.example.com`, IDN allowed), IP literals, or
 * `*.example.com` for any subdomain at any depth (not `example.com` itself); a single-label wildcard (`*.internal`)
 * only where `singleLabelWildcards` says so (denylists). Anything else is a configuration error, so a typo cannot
 * silently open or close the list.
 */
export function compileHostList(
  option: string,
  entries: readonly string[] | undefined,
  options: { readonly singleLabelWildcards: boolean },
): HostList | undefined {
  if (entries === undefined) return undefined;
  if (!Array.isArray(entries)) throw new ConfigurationError(`safe/fetch: ${option} must be an array of host names`);
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const [index, entry] of entries.entries()) {
    if (typeof entry === 'string' && entry.startsWith(WILDCARD)) {
      const suffix = normalizeEntry(option, index, entry.slice(WILDCARD.length));
      // `*.com` in an allowlist opens a whole TLD; in a denylist (`*.internal`) a single label is what is meant.
      if (parseIpAddress(suffix) !== undefined || (!options.singleLabelWildcards && !suffix.includes('.'))) {
        throw new ConfigurationError(`safe/fetch: ${option}[${index}] wildcard must cover a domain with at least two labels`);
      }
      suffixes.push(`.${suffix}`);
    } else {
      exact.add(normalizeEntry(option, index, entry));
    }
  }
  return {
    size: exact.size + suffixes.length,
    matches: (hostname) => exact.has(hostname) || suffixes.some((suffix) => hostname.endsWith(suffix)),
  };
}
