import { ConfigurationError } from '../../errors.js';
import { securityEvent } from '../../events.js';
import { canonicalOrigin } from './origin.js';
import type { CorsOptions } from './options.js';
import { compilePattern, type OriginPattern } from './pattern.js';
import { isToken } from './tokens.js';

/** The validated, precomputed form of {@link CorsOptions}: everything a request needs, nothing computed per request. */
export interface CorsConfig {
  /** `origins: ['*']`. */
  readonly wildcard: boolean;
  /** Canonical exact origins. */
  readonly exact: ReadonlySet<string>;
  readonly patterns: readonly OriginPattern[];
  readonly credentials: boolean;
  /** Methods a preflight may request (configured plus the safelisted GET, HEAD, POST). */
  readonly preflightMethods: ReadonlySet<string>;
  /** Lower-case header names a preflight may request. */
  readonly allowHeaders: ReadonlySet<string>;
  /** `Access-Control-Allow-Methods` value, or `undefined` to omit. */
  readonly allowMethodsValue: string | undefined;
  /** `Access-Control-Allow-Headers` value, or `undefined` to omit. */
  readonly allowHeadersValue: string | undefined;
  /** `Access-Control-Expose-Headers` value, or `undefined` to omit. */
  readonly exposeHeadersValue: string | undefined;
  readonly maxAgeValue: string;
  readonly privateNetwork: boolean;
}

export const DEFAULT_METHODS: readonly string[] = ['GET', 'HEAD', 'POST'];
export const DEFAULT_ALLOW_HEADERS: readonly string[] = ['content-type', 'authorization', 'x-csrf-token'];
export const DEFAULT_MAX_AGE_SECONDS = 600;
/** Chromium's ceiling for `Access-Control-Max-Age`; longer values are silently cut by it and kept by others. */
export const MAX_MAX_AGE_SECONDS = 7200;

const SAFELISTED_METHODS = ['GET', 'HEAD', 'POST'];
/** Fetch §2.2.1 "normalize a method": browsers upper-case only these; any other method is compared case-sensitively. */
const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
/** Fetch forbidden methods: no browser sends them, so allowing one is a mistake (and TRACE reflects credentials). */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
/** Forbidden response-header names: browsers never expose them, so listing one signals a misunderstanding. */
const UNEXPOSABLE_HEADERS = new Set(['set-cookie', 'set-cookie2']);

function methodsOf(methods: readonly string[]): string[] {
  return methods.map((method) => {
    if (!isToken(method) || method === '*') {
      throw new ConfigurationError(`cors: method "${method}" must be a single method name (no "*")`);
    }
    const upper = method.toUpperCase();
    if (FORBIDDEN_METHODS.has(upper)) throw new ConfigurationError(`cors: method "${method}" is forbidden by Fetch`);
    return NORMALIZED_METHODS.has(upper) ? upper : method;
  });
}

function headerNamesOf(names: readonly string[], option: string): string[] {
  return names.map((name) => {
    if (!isToken(name) || name === '*') {
      throw new ConfigurationError(`cors: ${option} entry "${name}" must be a header name (no "*": list them)`);
    }
    return name.toLowerCase();
  });
}

/**
 * Validates options and precomputes header values. Throws {@link ConfigurationError} for anything unsafe or
 * ambiguous — above all `credentials` with `origins: ['*']`, which would let every site read responses made with the
 * user's cookies if a browser honoured it — and reports each named loosening once as `config.loosened`.
 */
export function compileCors(options: CorsOptions): CorsConfig {
  const allowInsecure = options.allowInsecureOrigins === true;
  const credentials = options.credentials === true;
  const privateNetwork = options.privateNetwork === true;
  const wildcard = options.origins.includes('*');
  const patternSources = options.patterns ?? [];

  if (wildcard && (options.origins.length !== 1 || patternSources.length > 0)) {
    throw new ConfigurationError('cors: origins ["*"] cannot be combined with other origins or patterns');
  }
  if (wildcard && credentials) {
    throw new ConfigurationError('cors: credentials cannot be used with origins ["*"]: list the origins');
  }
  if (wildcard && privateNetwork) {
    throw new ConfigurationError('cors: privateNetwork cannot be used with origins ["*"]: any public site could reach this host');
  }
  if (credentials && patternSources.length > 0 && options.allowCredentialsWithPatterns !== true) {
    throw new ConfigurationError(
      'cors: credentials with patterns lets any matching subdomain (and whoever takes one over) read user data; set allowCredentialsWithPatterns: true to accept that',
    );
  }

  const exact = new Set(wildcard ? [] : options.origins.map((origin) => canonicalOrigin(origin, allowInsecure).origin));
  const patterns = patternSources.map((source) => compilePattern(source, allowInsecure));

  const methods = [...new Set(methodsOf(options.methods ?? DEFAULT_METHODS))];
  const allowHeaders = [...new Set(headerNamesOf(options.allowHeaders ?? DEFAULT_ALLOW_HEADERS, 'allowHeaders'))];
  const exposeHeaders = [...new Set(headerNamesOf(options.exposeHeaders ?? [], 'exposeHeaders'))];
  for (const name of exposeHeaders) {
    if (UNEXPOSABLE_HEADERS.has(name)) throw new ConfigurationError(`cors: exposeHeaders cannot include "${name}"`);
  }

  const maxAge = options.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
  if (!Number.isInteger(maxAge) || maxAge < 0 || maxAge > MAX_MAX_AGE_SECONDS) {
    throw new ConfigurationError(`cors: maxAgeSeconds must be a whole number in 0…${MAX_MAX_AGE_SECONDS}`);
  }

  reportLoosenings(options, wildcard, allowInsecure, credentials, privateNetwork);

  return {
    wildcard,
    exact,
    patterns,
    credentials,
    preflightMethods: new Set([...methods, ...SAFELISTED_METHODS]),
    allowHeaders: new Set(allowHeaders),
    allowMethodsValue: methods.length > 0 ? methods.join(', ') : undefined,
    allowHeadersValue: allowHeaders.length > 0 ? allowHeaders.join(', ') : undefined,
    exposeHeadersValue: exposeHeaders.length > 0 ? exposeHeaders.join(', ') : undefined,
    maxAgeValue: String(maxAge),
    privateNetwork,
  };
}

function reportLoosenings(
  options: CorsOptions,
  wildcard: boolean,
  allowInsecure: boolean,
  credentials: boolean,
  privateNetwork: boolean,
): void {
  const sink = options.events;
  if (sink === undefined) return;
  const loosened: string[] = [];
  if (wildcard) loosened.push('origins:*');
  if (credentials) loosened.push('credentials');
  if (options.allowCredentialsWithPatterns === true) loosened.push('allowCredentialsWithPatterns');
  if (allowInsecure) loosened.push('allowInsecureOrigins');
  if (privateNetwork) loosened.push('privateNetwork');
  for (const option of loosened) {
    try {
      sink(securityEvent('config.loosened', undefined, { guard: 'cors', option }));
    } catch {
      // A failing sink must not stop the guard from being built with the configuration the operator asked for.
    }
  }
}
