import { KeyRing } from '../../crypto/keyring.js';
import { ConfigurationError } from '../../errors.js';
import { securityEvent, type SecurityEventSink } from '../../events.js';
import type { RequestView } from '../chain/types.js';
import { CookieError } from '../cookie/error.js';
import { cookieName as prefixedCookieName } from '../cookie/serialize.js';
import type { CsrfExemptRoute, CsrfOptions } from './options.js';

/** The options once validated: everything the per-request path needs, computed once. */
export interface CsrfSettings {
  readonly ring: KeyRing;
  readonly origins: ReadonlySet<string>;
  readonly sessionBinding: (request: RequestView) => string | undefined;
  /** Cookie name as given to `serializeCookie` (it adds the prefix). */
  readonly cookieBaseName: string;
  /** Cookie name as it appears in the request (`__Host-csrf`). */
  readonly cookieName: string;
  readonly headerName: string;
  readonly formField: string;
  readonly deferForms: boolean;
  /** path → the reason (every unsafe method exempt) or a map method → reason. */
  readonly exempt: ReadonlyMap<string, ReadonlyMap<string, string> | string>;
  readonly cookieAuthenticated: (request: RequestView) => boolean;
  readonly allowSameSite: boolean;
  readonly allowMissingOriginAndReferer: boolean;
  readonly exposeTokenCookieToScripts: boolean;
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const METHOD = /^[A-Z]+$/;
const SAFE_METHODS_FOR_EXEMPT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** The default session binding: the `__Host-sid` cookie that `@rampart/core/session` examples write. */
const SESSION_COOKIE = prefixedCookieName('sid');
const defaultSessionBinding = (request: RequestView): string | undefined => request.cookies.get(SESSION_COOKIE);

/*
 * Browsers attach cookies (and cached HTTP Basic credentials, client certificates) on their own, so any request that
 * might carry them can be forged. A page cannot add an `Authorization` header to a cross-site request without a CORS
 * preflight the server approves, so a request authenticated only by a bearer token, with no cookies, cannot be forged.
 * Anything else is checked, including cookie-less anonymous POSTs: that covers login CSRF on first visit.
 */
function defaultCookieAuthenticated(request: RequestView): boolean {
  const cookie = request.header('cookie');
  if (cookie !== undefined && cookie !== '') return true;
  const authorization = request.header('authorization');
  return authorization === undefined || !/^bearer [^\s]/i.test(authorization);
}

function origin(value: unknown): string {
  if (typeof value !== 'string') throw new ConfigurationError('allowedOrigins must contain strings');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(`allowed origin "${value}" is not a URL; write scheme://host[:port]`);
  }
  // The browser's `Origin` header is exactly `url.origin`; anything else (a path, a trailing slash, upper case, a
  // default port, a wildcard) could never match and would silently refuse every request — or hide a typo.
  if (url.origin !== value) {
    throw new ConfigurationError(`allowed origin "${value}" is not canonical; write it as "${url.origin}" (no path, lower case, no default port)`);
  }
  // WHATWG URL accepts `*` and other odd characters in hosts; a wildcard here would be read as "any subdomain" by
  // whoever reviews the config, while it matches nothing a browser sends. Refuse it rather than mislead.
  if (!/^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])$/.test(url.hostname)) {
    throw new ConfigurationError(`allowed origin "${value}" must name one host: no wildcards (list each origin)`);
  }
  if (url.protocol === 'https:') return value;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return value;
  // A plain-http origin is writable by anyone on the network path, so it cannot vouch for a request.
  throw new ConfigurationError(`allowed origin "${value}" must be https (http only for localhost / loopback)`);
}

function exemptTable(routes: readonly CsrfExemptRoute[], report: (attributes: Record<string, string>) => void): CsrfSettings['exempt'] {
  const table = new Map<string, Map<string, string> | string>();
  for (const route of routes) {
    const { path, reason } = route;
    const method: unknown = route.method;
    if (typeof path !== 'string' || !path.startsWith('/') || path.includes('?') || path.includes('#') || path.includes('*')) {
      throw new ConfigurationError('an exempt route needs an exact path starting with "/" (no query, fragment or wildcard)');
    }
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new ConfigurationError(`exempt route ${path} needs a reason: the opt-out is logged with it`);
    }
    if (method !== undefined && (typeof method !== 'string' || !METHOD.test(method) || SAFE_METHODS_FOR_EXEMPT.has(method))) {
      throw new ConfigurationError(`exempt route ${path}: method must be an upper-case unsafe method (POST, PUT, PATCH, DELETE, …)`);
    }
    const existing = table.get(path);
    if (typeof existing === 'string' || (existing !== undefined && (method === undefined || existing.has(method)))) {
      throw new ConfigurationError(`exempt route ${path} is listed twice`);
    }
    if (method === undefined) {
      table.set(path, reason);
    } else {
      const methods = existing ?? new Map<string, string>();
      methods.set(method, reason);
      table.set(path, methods);
    }
    report({ option: 'exempt', method: method ?? '*', path, reason });
  }
  return table;
}

function name(value: unknown, fallback: string, option: string, pattern: RegExp): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !pattern.test(value)) throw new ConfigurationError(`${option} is not a valid name`);
  return value;
}

/**
 * Validates the options and reports each named loosening once. Misconfiguration throws a {@link ConfigurationError}
 * here, at build time, never per request.
 */
export function resolveCsrfOptions(options: CsrfOptions): CsrfSettings {
  const given: unknown = options;
  if (typeof given !== 'object' || given === null) throw new ConfigurationError('csrf() needs options');
  if (!(options.ring instanceof KeyRing)) throw new ConfigurationError('csrf() needs a KeyRing as `ring`');
  const allowed: unknown = options.allowedOrigins;
  if (!Array.isArray(allowed) || allowed.length === 0) {
    throw new ConfigurationError('csrf() needs allowedOrigins: the application\'s own origins, e.g. ["https://app.example"]');
  }
  const origins = new Set<string>(allowed.map(origin));

  const events: SecurityEventSink = options.events ?? (() => undefined);
  const report = (attributes: Record<string, string>): void => {
    try {
      events(securityEvent('config.loosened', undefined, { control: 'csrf', ...attributes }));
    } catch {
      // A failing sink must not stop the application from starting with a guard that works.
    }
  };

  let cookieBaseName: string;
  let cookieName: string;
  try {
    cookieBaseName = options.cookieName ?? 'csrf';
    // `__Host-` always: no sibling subdomain or plain-http page can set or overwrite the cookie (cookie tossing would
    // otherwise let an attacker choose both halves of the double submit).
    cookieName = prefixedCookieName(cookieBaseName, { prefix: '__Host-' });
  } catch (error) {
    if (error instanceof CookieError) throw new ConfigurationError(`csrf cookieName: ${error.message}`, { cause: error });
    throw error;
  }

  const headerName = name(options.headerName, 'x-csrf-token', 'headerName (lower-case header name)', HEADER_NAME);
  const formField = name(options.formField, '_csrf', 'formField', /^[A-Za-z0-9_.[\]-]{1,64}$/);
  const exempt = exemptTable(options.exempt ?? [], report);

  const flags = ['allowSameSite', 'allowMissingOriginAndReferer', 'exposeTokenCookieToScripts', 'verifyFormFieldAfterBodyParsing'] as const;
  for (const flag of flags) {
    const value: unknown = options[flag];
    if (value !== undefined && typeof value !== 'boolean') throw new ConfigurationError(`${flag} must be a boolean`);
  }
  if (options.allowSameSite === true) report({ option: 'allowSameSite' });
  if (options.allowMissingOriginAndReferer === true) report({ option: 'allowMissingOriginAndReferer' });
  if (options.exposeTokenCookieToScripts === true) report({ option: 'exposeTokenCookieToScripts' });
  if (options.cookieAuthenticated !== undefined) {
    if (typeof options.cookieAuthenticated !== 'function') throw new ConfigurationError('cookieAuthenticated must be a function');
    report({ option: 'cookieAuthenticated' });
  }
  if (options.sessionBinding !== undefined && typeof options.sessionBinding !== 'function') {
    throw new ConfigurationError('sessionBinding must be a function');
  }

  return {
    ring: options.ring,
    origins,
    sessionBinding: options.sessionBinding ?? defaultSessionBinding,
    cookieBaseName,
    cookieName,
    headerName,
    formField,
    deferForms: options.verifyFormFieldAfterBodyParsing === true,
    exempt,
    cookieAuthenticated: options.cookieAuthenticated ?? defaultCookieAuthenticated,
    allowSameSite: options.allowSameSite === true,
    allowMissingOriginAndReferer: options.allowMissingOriginAndReferer === true,
    exposeTokenCookieToScripts: options.exposeTokenCookieToScripts === true,
  };
}
