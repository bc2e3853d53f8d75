import type { SecureContextOptions } from 'node:tls';
import { ConfigurationError } from '../../errors.js';
import { securityEvent, type SecurityEventSink } from '../../events.js';
import { AddressPolicy } from './address-policy.js';
import type { DestinationRules } from './destination.js';
import { compileHostList } from './hosts.js';
import { systemResolver, type Resolver } from './resolve.js';

export interface SafeFetchOptions {
  /** Named loosening: also allow `http:` (default: `https:` only). Credentials still never cross origins. */
  readonly allowInsecureHttp?: boolean;
  /** Named loosening: ports allowed besides 80 and 443 (`[8443]`). */
  readonly allowPorts?: readonly number[];
  /**
   * Only these hosts may be called: names (`api.example.com`), IP literals, or `*.example.com` (subdomains only).
   * An allowlist narrows; it never lets a name reach a blocked address.
   */
  readonly allowHosts?: readonly string[];
  /** Hosts never called, same forms as `allowHosts`; wins over it. */
  readonly denyHosts?: readonly string[];
  /**
   * Named loosening: CIDR ranges that may be reached although they are special-purpose (`['10.20.0.0/16']` for an
   * internal API, `['127.0.0.1/32']` in tests). Every other blocked range stays blocked.
   */
  readonly allowAddresses?: readonly string[];
  /** Ranges refused on top of the built-in ones; wins over `allowAddresses`. */
  readonly denyAddresses?: readonly string[];
  /** Host name → addresses. Default {@link systemResolver} (`dns.lookup`, `all: true`). Its answers are checked, then pinned. */
  readonly resolver?: Resolver;
  /** Redirects followed per request, each re-checked like the first URL. Default 5, at most 20. */
  readonly maxRedirects?: number;
  /** Largest response body, declared or streamed, in bytes. Default 10 MiB. */
  readonly maxResponseBytes?: number;
  /** Time to open the TCP connection and finish the TLS handshake. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Time for the whole request: DNS, every redirect, and reading the body. Default 30 000 ms. */
  readonly timeoutMs?: number;
  /** Trust anchors (PEM) replacing the system roots, for a private PKI or a test CA. Verification itself cannot be turned off. */
  readonly ca?: SecureContextOptions['ca'];
  /** Request headers removed on a cross-origin redirect, besides `Authorization`, `Cookie` and `Proxy-Authorization`. */
  readonly stripOnCrossOriginRedirect?: readonly string[];
  /** Receives `config.loosened` once, when the client is built, for each named loosening in effect. */
  readonly events?: SecurityEventSink;
}

/** The options after validation, with defaults applied. */
export interface ResolvedOptions {
  readonly rules: DestinationRules;
  readonly policy: AddressPolicy;
  readonly resolver: Resolver;
  readonly maxRedirects: number;
  readonly maxResponseBytes: number;
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
  readonly ca: SecureContextOptions['ca'] | undefined;
  readonly stripOnCrossOrigin: readonly string[];
}

export const DEFAULT_MAX_REDIRECTS = 5;
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;
const MAX_REDIRECTS_LIMIT = 20; // the Fetch standard's own limit
const MAX_TIMEOUT_MS = 2_147_483_647; // setTimeout's ceiling
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function whole(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`safe/fetch: ${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function ports(extra: readonly number[] | undefined): Set<number> {
  const allowed = new Set([80, 443]);
  if (extra === undefined) return allowed;
  if (!Array.isArray(extra)) throw new ConfigurationError('safe/fetch: allowPorts must be an array of port numbers');
  for (const port of extra as readonly unknown[]) allowed.add(whole('allowPorts[]', port, 0, 1, 65_535));
  return allowed;
}

function headerNames(names: readonly string[] | undefined): string[] {
  const all = [...CREDENTIAL_HEADERS];
  if (names === undefined) return all;
  if (!Array.isArray(names)) throw new ConfigurationError('safe/fetch: stripOnCrossOriginRedirect must be an array of header names');
  for (const name of names as readonly unknown[]) {
    if (typeof name !== 'string' || !HEADER_NAME.test(name)) {
      throw new ConfigurationError('safe/fetch: stripOnCrossOriginRedirect must hold header names');
    }
    all.push(name.toLowerCase());
  }
  return all;
}

/**
 * Validates the options once, at build: an unsafe or malformed option is a `ConfigurationError` now, not a surprise
 * in production. Each named loosening in effect is reported as `config.loosened`.
 */
export function resolveOptions(options: SafeFetchOptions): ResolvedOptions {
  const policy = new AddressPolicy({
    ...(options.allowAddresses === undefined ? {} : { allowAddresses: options.allowAddresses }),
    ...(options.denyAddresses === undefined ? {} : { denyAddresses: options.denyAddresses }),
  });
  if (options.resolver !== undefined && typeof options.resolver !== 'function') {
    throw new ConfigurationError('safe/fetch: resolver must be a function');
  }
  const resolved: ResolvedOptions = {
    rules: {
      schemes: new Set(options.allowInsecureHttp === true ? ['https:', 'http:'] : ['https:']),
      ports: ports(options.allowPorts),
      allowHosts: compileHostList('allowHosts', options.allowHosts, { singleLabelWildcards: false }),
      denyHosts: compileHostList('denyHosts', options.denyHosts, { singleLabelWildcards: true }),
    },
    policy,
    resolver: options.resolver ?? systemResolver,
    maxRedirects: whole('maxRedirects', options.maxRedirects, DEFAULT_MAX_REDIRECTS, 0, MAX_REDIRECTS_LIMIT),
    maxResponseBytes: whole('maxResponseBytes', options.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES, 1, Number.MAX_SAFE_INTEGER),
    connectTimeoutMs: whole('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, 1, MAX_TIMEOUT_MS),
    timeoutMs: whole('timeoutMs', options.timeoutMs, DEFAULT_FETCH_TIMEOUT_MS, 1, MAX_TIMEOUT_MS),
    ca: options.ca,
    stripOnCrossOrigin: headerNames(options.stripOnCrossOriginRedirect),
  };
  if (resolved.rules.allowHosts?.size === 0) {
    throw new ConfigurationError('safe/fetch: allowHosts is empty, so nothing could be called; leave it out to allow any public host');
  }

  const loosened: string[] = [];
  if (options.allowInsecureHttp === true) loosened.push('allowInsecureHttp');
  if (options.allowPorts !== undefined && options.allowPorts.length > 0) loosened.push('allowPorts');
  if (policy.loosened) loosened.push('allowAddresses');
  for (const option of loosened) options.events?.(securityEvent('config.loosened', undefined, { control: 'safe.fetch', option }));
  return resolved;
}
