import { ConfigurationError } from '../../errors.js';

/** One year: the least HSTS lifetime Rampart accepts, and the least the browsers' preload lists accept. */
export const HSTS_MIN_MAX_AGE = 31_536_000;
/** Two years, the default: long enough that a returning visitor is never exposed to a first plain-http request. */
export const HSTS_DEFAULT_MAX_AGE = 63_072_000;

export interface HstsOptions {
  /** Default two years (63072000). Below one year refused unless `loosen.shortHsts`. */
  readonly maxAgeSeconds?: number;
  /** Default true: subdomains too, so a sibling host on http cannot plant cookies for this one. */
  readonly includeSubDomains?: boolean;
  /**
   * Default false. Asks browsers to ship this domain in their HSTS preload list — hard to undo for every subdomain
   * for months, so it is opt-in by name. Requires `includeSubDomains` and at least one year (hstspreload.org rules).
   */
  readonly preload?: boolean;
}

/**
 * The `Strict-Transport-Security` value (RFC 6797 §6.1). Protects against SSL stripping: after one secure visit the
 * browser refuses plain http to this host for `max-age`, so a network attacker cannot downgrade later visits.
 */
export function hstsValue(options: HstsOptions, allowShort: boolean): string {
  const maxAge = options.maxAgeSeconds ?? HSTS_DEFAULT_MAX_AGE;
  const includeSubDomains = options.includeSubDomains ?? true;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) throw new ConfigurationError('HSTS maxAgeSeconds must be a whole number of seconds');
  if (maxAge < HSTS_MIN_MAX_AGE && !allowShort) {
    throw new ConfigurationError('HSTS maxAgeSeconds below one year (31536000) leaves gaps an attacker can strip; loosen.shortHsts to allow');
  }
  if (options.preload === true && (!includeSubDomains || maxAge < HSTS_MIN_MAX_AGE)) {
    throw new ConfigurationError('HSTS preload requires includeSubDomains and maxAgeSeconds of at least one year');
  }
  return `max-age=${maxAge}${includeSubDomains ? '; includeSubDomains' : ''}${options.preload === true ? '; preload' : ''}`;
}
