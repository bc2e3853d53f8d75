import { securityEvent } from '../../events.js';
import { CONTINUE, deny, type Guard, type GuardContext, type RequestView, type Respond, type Verdict } from '../chain/types.js';
import { problem, type Problem } from '../problem/problem.js';
import { compileCors, type CorsConfig } from './config.js';
import type { CorsOptions } from './options.js';
import { parseCanonicalOrigin, sanitizeForEvent } from './origin.js';
import { matchesPattern } from './pattern.js';
import { parseHeaderNameList } from './tokens.js';

/** Why a CORS request was refused, in `http.cors.refused` events. */
export type CorsRefusalReason =
  | 'origin_not_allowed'
  | 'preflight_origin_not_allowed'
  | 'method_not_allowed'
  | 'headers_malformed'
  | 'headers_not_allowed'
  | 'private_network_not_allowed';

/**
 * The answer to a refused preflight. Generic on purpose: it names neither the origin, the method nor the header at
 * fault (the operator finds those in the event under the correlation id). Browsers fail the preflight on the status
 * and on the missing `Access-Control-Allow-Origin` alike.
 */
export const CORS_PREFLIGHT_REFUSED: Problem = Object.freeze(
  problem(403, 'cors-preflight-refused', 'CORS preflight refused', {
    detail: 'This cross-origin request is not allowed.',
    code: 'cors.preflight_refused',
  }),
);

const PREFLIGHT_OK: Respond = Object.freeze({ action: 'respond', status: 204 });
const REFUSED: Verdict = Object.freeze(deny(CORS_PREFLIGHT_REFUSED));

/** Pattern-matched origins remembered so repeat visitors take the fast path. Bounded: only allowed origins enter. */
const MATCH_CACHE_LIMIT = 1024;

/**
 * The CORS guard (Fetch standard §3.2, the CORS protocol). Protects against cross-origin reads of your API by sites
 * you did not list: it grants `Access-Control-Allow-Origin` only to origins that are byte-equal to an allowed one or
 * that, once parsed, match an allowed pattern — never by substring or raw-string regex, never to `null`, never to a
 * non-canonical spelling (`https://APP.example.com.`, `https://app.example.com@evil.com`). It answers preflights itself
 * (`204` when the origin, method, headers and Private Network Access request are all allowed, a generic `403`
 * otherwise) and always sends `Vary: Origin`, so a shared cache never serves one origin's grant to another.
 *
 * A disallowed origin on an actual request is not denied: the request continues without CORS headers, the browser
 * withholds the response from the page, and stopping cross-site *writes* is the CSRF guard's job (browsers also send
 * `Origin` on same-origin POSTs). Misconfiguration throws `ConfigurationError` here, at build time.
 */
export function cors(options: CorsOptions): Guard {
  const config = compileCors(options);
  const isAllowed = originMatcher(config);
  const allowOriginFor = config.wildcard ? () => '*' : (origin: string) => origin;

  function grant(response: GuardContext['response'], origin: string): void {
    response.set('access-control-allow-origin', allowOriginFor(origin));
    if (config.credentials) response.set('access-control-allow-credentials', 'true');
  }

  function refuse(context: GuardContext, reason: CorsRefusalReason, origin: string): void {
    context.emit(securityEvent('http.cors.refused', undefined, { guard: 'cors', reason, origin: sanitizeForEvent(origin) }));
  }

  function preflight(request: RequestView, context: GuardContext, origin: string, requestMethod: string): Verdict {
    const response = context.response;
    // The answer depends on these request headers too (Fetch §3.2.5 CORS-preflight cache; caches key on Vary).
    response.appendList('vary', 'Access-Control-Request-Method');
    response.appendList('vary', 'Access-Control-Request-Headers');
    response.appendList('vary', 'Access-Control-Request-Private-Network');
    if (!isAllowed(origin)) return refuseWith(context, 'preflight_origin_not_allowed', origin);
    // Compared case-sensitively: browsers upper-case only the six normalized methods and send others as written.
    if (!config.preflightMethods.has(requestMethod)) return refuseWith(context, 'method_not_allowed', origin);
    const requestHeaders = request.header('access-control-request-headers');
    if (requestHeaders !== undefined) {
      const names = parseHeaderNameList(requestHeaders);
      if (names === undefined) return refuseWith(context, 'headers_malformed', origin);
      for (const name of names) {
        if (!config.allowHeaders.has(name)) return refuseWith(context, 'headers_not_allowed', origin);
      }
    }
    // Private Network Access (WICG draft §3.2): a public page asking to reach this private-network host.
    const privateNetworkRequested = request.header('access-control-request-private-network') !== undefined;
    if (privateNetworkRequested && !config.privateNetwork) return refuseWith(context, 'private_network_not_allowed', origin);

    grant(response, origin);
    if (config.allowMethodsValue !== undefined) response.set('access-control-allow-methods', config.allowMethodsValue);
    if (config.allowHeadersValue !== undefined) response.set('access-control-allow-headers', config.allowHeadersValue);
    response.set('access-control-max-age', config.maxAgeValue);
    if (privateNetworkRequested) response.set('access-control-allow-private-network', 'true');
    return PREFLIGHT_OK;
  }

  function refuseWith(context: GuardContext, reason: CorsRefusalReason, origin: string): Verdict {
    refuse(context, reason, origin);
    return REFUSED;
  }

  const guard = (request: RequestView, context: GuardContext): Verdict => {
    const response = context.response;
    // On every response, with or without Origin: a cached same-origin answer must not be served to a CORS request.
    response.appendList('vary', 'Origin');
    const origin = request.header('origin');
    if (origin === undefined) return CONTINUE;
    if (request.method === 'OPTIONS') {
      const requestMethod = request.header('access-control-request-method');
      if (requestMethod !== undefined) return preflight(request, context, origin, requestMethod);
    }
    if (!isAllowed(origin)) {
      refuse(context, 'origin_not_allowed', origin);
      return CONTINUE;
    }
    grant(response, origin);
    if (config.exposeHeadersValue !== undefined) response.set('access-control-expose-headers', config.exposeHeadersValue);
    return CONTINUE;
  };
  return Object.assign(guard, { guardName: 'cors' });
}

/**
 * The origin decision. Fast path: one Set lookup of the raw header value, exact because browsers send the canonical
 * serialization and the allowlist holds canonical strings. Only with patterns is anything parsed, and then only a
 * value that is its own canonical serialization can match.
 */
function originMatcher(config: CorsConfig): (origin: string) => boolean {
  const { exact, patterns } = config;
  if (config.wildcard) return () => true;
  if (patterns.length === 0) return (origin) => exact.has(origin);
  const matched = new Set<string>();
  return (origin) => {
    if (exact.has(origin) || matched.has(origin)) return true;
    const url = parseCanonicalOrigin(origin);
    if (url === undefined) return false;
    for (const pattern of patterns) {
      if (matchesPattern(pattern, url)) {
        if (matched.size < MATCH_CACHE_LIMIT) matched.add(origin);
        return true;
      }
    }
    return false;
  };
}
