import { securityEvent, type SecurityEventSink } from '../../events.js';
import { ConfigurationError } from '../../errors.js';
import { CONTINUE, type Guard, type RequestView } from '../chain/types.js';
import { compileDirectives, type CspDirectives } from './csp-directives.js';
import { compileCsp, type CspLoosening } from './csp.js';
import { hstsValue, type HstsOptions } from './hsts.js';
import { CSP_NONCE, freshNonce } from './nonce.js';
import { permissionsPolicyValue, type PermissionsPolicy } from './permissions.js';
import { PRESETS, type HeadersPreset, type ReferrerPolicy } from './presets.js';
import { reportingEndpointsValue } from './reporting.js';

/** Unsafe choices accepted only by name; each one emits `config.loosened` when the guard is built. */
export type HeadersLoosening = CspLoosening & {
  /** HSTS `max-age` below one year. */
  readonly shortHsts?: true;
};

export interface SecurityHeadersOptions {
  /** Default `'api'`. See the README for the exact headers of each. */
  readonly preset?: HeadersPreset;
  /** Directives merged over the preset's (a key replaces that directive, `false` removes it); `false` sends no CSP. */
  readonly csp?: CspDirectives | false;
  /** Send the policy as `Content-Security-Policy-Report-Only`: violations are reported, nothing is blocked. */
  readonly cspReportOnly?: boolean;
  /** Reporting API endpoints, `{ name: 'https://…' }`, sent as `Reporting-Endpoints`; name one in the CSP's `report-to`. */
  readonly reportingEndpoints?: Readonly<Record<string, string>>;
  /** HSTS settings; `false` sends none. Sent only on requests that reached the edge over https. */
  readonly hsts?: HstsOptions | false;
  readonly referrerPolicy?: ReferrerPolicy;
  /** Overrides of the default feature denials, e.g. `{ geolocation: ['self'] }`. */
  readonly permissionsPolicy?: PermissionsPolicy;
  /** Default `'same-origin'`; `'same-origin-allow-popups'` for OAuth/payment popups that must message back. */
  readonly crossOriginOpenerPolicy?: 'same-origin' | 'same-origin-allow-popups';
  /** Default `'same-origin'` (does not affect CORS requests); `'cross-origin'` for public assets is a loosening. */
  readonly crossOriginResourcePolicy?: 'same-origin' | 'same-site' | 'cross-origin';
  /** Not sent by default: `require-corp` blocks every cross-origin resource not opted in with CORP or CORS. */
  readonly crossOriginEmbedderPolicy?: 'require-corp' | 'credentialless';
  /** `Cache-Control: no-store` on every response (`'always'`, api default) or on authenticated ones (web default). */
  readonly noStore?: 'always' | 'authenticated';
  /** Cookies whose presence marks a request as authenticated. Default `['__Host-sid']`. */
  readonly sessionCookies?: readonly string[];
  /** Replaces the default test (an `Authorization` header or a session cookie) for "authenticated". */
  readonly isAuthenticated?: (request: RequestView) => boolean;
  readonly loosen?: HeadersLoosening;
  /** Receives one `config.loosened` event per loosening, when the guard is built. */
  readonly events?: SecurityEventSink;
}

/**
 * Headers a framework adds that tell an attacker which software and version to target. Core cannot remove headers
 * it never sees; adapters delete these (Express: `app.disable('x-powered-by')`).
 */
export const HEADERS_TO_REMOVE: readonly string[] = Object.freeze(['x-powered-by', 'server']);

const REFERRER_POLICIES: ReadonlySet<string> = new Set(['no-referrer', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin']);
const COOP: ReadonlySet<string> = new Set(['same-origin', 'same-origin-allow-popups']);
const CORP: ReadonlySet<string> = new Set(['same-origin', 'same-site', 'cross-origin']);
const COEP: ReadonlySet<string> = new Set(['require-corp', 'credentialless']);

function oneOf(name: string, allowed: ReadonlySet<string>, value: string): string {
  if (!allowed.has(value)) throw new ConfigurationError(`${name} must be one of ${[...allowed].join(', ')}`);
  return value;
}

/** `X-Frame-Options` matching `frame-ancestors`, for browsers without CSP2; omitted where it cannot express the list. */
function frameOptions(frameAncestors: readonly string[] | undefined): string | undefined {
  if (frameAncestors === undefined || (frameAncestors.length === 1 && frameAncestors[0] === "'none'")) return 'DENY';
  if (frameAncestors.length === 1 && frameAncestors[0] === "'self'") return 'SAMEORIGIN';
  return undefined;
}

interface CspPlan {
  readonly name: string;
  /** Header value split at the nonce, for https requests (with `upgrade-insecure-requests`) and for plain http. */
  readonly secure: readonly string[];
  readonly plain: readonly string[];
  readonly usesNonce: boolean;
  readonly frameAncestors: readonly string[] | undefined;
}

function planCsp(options: SecurityHeadersOptions, base: CspDirectives): CspPlan | undefined {
  if (options.csp === false) return undefined;
  const directives = compileDirectives({ ...base, ...options.csp });
  const reportTo = directives.get('report-to')?.[0];
  if (reportTo !== undefined && options.reportingEndpoints?.[reportTo] === undefined) {
    // A report-to naming no endpoint silently sends no report: the operator would never learn of attacks.
    throw new ConfigurationError('Content-Security-Policy report-to names no endpoint declared in reportingEndpoints');
  }
  const secure = compileCsp(directives, options.loosen);
  // upgrade-insecure-requests on a plain-http page would rewrite its own subresources to an https origin that may not
  // exist (local development); on http there is no mixed content for it to fix, so it goes only with https.
  const plainDirectives = new Map(directives);
  plainDirectives.delete('upgrade-insecure-requests');
  const plain = compileCsp(plainDirectives, options.loosen);
  return {
    name: options.cspReportOnly === true ? 'content-security-policy-report-only' : 'content-security-policy',
    secure: secure.segments,
    plain: plain.segments,
    usesNonce: secure.usesNonce,
    frameAncestors: directives.get('frame-ancestors'),
  };
}

const LOOSENINGS: ReadonlySet<string> = new Set([
  'unrestrictedScripts',
  'unsafeInlineScripts',
  'unsafeEval',
  'wildcardScriptSources',
  'missingObjectSrc',
  'missingBaseUri',
  'shortHsts',
] satisfies (keyof HeadersLoosening)[]);

function loosenings(options: SecurityHeadersOptions): string[] {
  for (const name of Object.keys(options.loosen ?? {})) {
    // A misspelt loosening would be ignored; say so rather than leave the caller wondering why it "does not work".
    if (!LOOSENINGS.has(name)) throw new ConfigurationError(`unknown loosening; known: ${[...LOOSENINGS].join(', ')}`);
  }
  const named = (Object.entries(options.loosen ?? {}) as [string, unknown][])
    .filter(([, value]) => value === true)
    .map(([name]) => `loosen.${name}`);
  if (options.csp === false) named.push('csp');
  if (options.cspReportOnly === true) named.push('cspReportOnly');
  if (options.hsts === false) named.push('hsts');
  else if (options.hsts?.includeSubDomains === false) named.push('hsts.includeSubDomains');
  if (options.crossOriginResourcePolicy === 'cross-origin') named.push('crossOriginResourcePolicy');
  return named;
}

function authenticatedTest(options: SecurityHeadersOptions): (request: RequestView) => boolean {
  if (options.isAuthenticated !== undefined) return options.isAuthenticated;
  const names = [...(options.sessionCookies ?? ['__Host-sid'])];
  return (request) => {
    if (request.header('authorization') !== undefined) return true;
    const cookie = request.header('cookie');
    // The substring test is only a shortcut: the parsed cookie map decides, so `x__Host-sid=` does not count.
    return cookie !== undefined && names.some((name) => cookie.includes(name) && request.cookies.has(name));
  };
}

/**
 * The security-headers guard: CSP, HSTS, framing, sniffing, referrer, permissions, cross-origin isolation and caching
 * headers on every response, including refusals by later guards (put it first in the chain).
 *
 * Protects against XSS (a strict CSP with a fresh 144-bit nonce per response), clickjacking (`frame-ancestors`,
 * `X-Frame-Options`), SSL stripping (HSTS), MIME sniffing, URL leaks through `Referer`, cross-origin reads of
 * responses (CORP, COOP: Spectre, XS-Leaks, `window.opener` tampering), abuse of powerful features by injected code,
 * and shared or local caches keeping authenticated responses. Every header string is built and validated once, here;
 * per request the guard only draws a nonce (if the policy uses one) and sets precomputed values.
 */
export function securityHeaders(options: SecurityHeadersOptions = {}): Guard {
  const loosened = loosenings(options);
  const preset = PRESETS[oneOf('preset', new Set(Object.keys(PRESETS)), options.preset ?? 'api') as HeadersPreset];
  const csp = planCsp(options, preset.csp);
  const hsts = options.hsts === false ? undefined : hstsValue(options.hsts ?? {}, options.loosen?.shortHsts === true);
  const xfo = frameOptions(csp?.frameAncestors);

  // Referrer, permissions, opener and agent-cluster policies govern what a *document* does; a JSON response is never
  // one, so the api preset leaves them out (OWASP REST Security Cheat Sheet) unless they are asked for by name. Every
  // header costs on every response, in the framework's header validation and on the wire.
  const documents = preset.documentPolicies;
  const fixed: [string, string][] = [['x-content-type-options', 'nosniff']];
  if (documents || options.referrerPolicy !== undefined) {
    fixed.push(['referrer-policy', oneOf('referrerPolicy', REFERRER_POLICIES, options.referrerPolicy ?? preset.referrerPolicy)]);
  }
  if (documents || options.permissionsPolicy !== undefined) {
    fixed.push(['permissions-policy', permissionsPolicyValue(options.permissionsPolicy)]);
  }
  if (documents || options.crossOriginOpenerPolicy !== undefined) {
    fixed.push(['cross-origin-opener-policy', oneOf('crossOriginOpenerPolicy', COOP, options.crossOriginOpenerPolicy ?? 'same-origin')]);
  }
  // CORP applies to no-cors loads of any resource, JSON included (Spectre-style cross-origin reads), so APIs keep it.
  fixed.push(['cross-origin-resource-policy', oneOf('crossOriginResourcePolicy', CORP, options.crossOriginResourcePolicy ?? 'same-origin')]);
  // Asks for a process of this origin alone, keeping other sites' pages out of its memory (Spectre).
  if (documents) fixed.push(['origin-agent-cluster', '?1']);
  if (xfo !== undefined) fixed.push(['x-frame-options', xfo]);
  if (options.crossOriginEmbedderPolicy !== undefined) {
    fixed.push(['cross-origin-embedder-policy', oneOf('crossOriginEmbedderPolicy', COEP, options.crossOriginEmbedderPolicy)]);
  }
  if (options.reportingEndpoints !== undefined) fixed.push(['reporting-endpoints', reportingEndpointsValue(options.reportingEndpoints)]);
  const noStore = options.noStore ?? preset.noStore;
  oneOf('noStore', new Set(['always', 'authenticated']), noStore);
  if (noStore === 'always') fixed.push(['cache-control', 'no-store']);
  const authenticated = noStore === 'authenticated' ? authenticatedTest(options) : undefined;

  // Emitted only once the whole configuration has been accepted: a guard that was never built loosened nothing.
  for (const option of loosened) {
    options.events?.(securityEvent('config.loosened', undefined, { control: 'http.headers', option }));
  }

  const names = fixed.map(([name]) => name);
  const values = fixed.map(([, value]) => value);
  const count = names.length;

  const guard = (request: RequestView, context: Parameters<Guard>[1]) => {
    const response = context.response;
    for (let index = 0; index < count; index += 1) response.set(names[index] as string, values[index] as string);
    const secure = request.secure;
    if (csp !== undefined) {
      const segments = secure ? csp.secure : csp.plain;
      if (csp.usesNonce) {
        const nonce = freshNonce();
        context.set(CSP_NONCE, nonce);
        // Concatenation, not join(): a few times cheaper per request. The nonce is base64, so it cannot inject.
        let value = segments[0] as string;
        for (let index = 1; index < segments.length; index += 1) value += nonce + (segments[index] as string);
        response.set(csp.name, value);
      } else {
        response.set(csp.name, segments[0] as string);
      }
    }
    // RFC 6797 §7.2: browsers ignore HSTS received over plain http (an attacker could forge it there anyway).
    if (secure && hsts !== undefined) response.set('strict-transport-security', hsts);
    if (authenticated?.(request) === true) response.set('cache-control', 'no-store');
    return CONTINUE;
  };
  return Object.assign(guard, { guardName: 'headers' });
}
