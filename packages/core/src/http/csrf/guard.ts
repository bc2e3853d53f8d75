import { securityEvent } from '../../events.js';
import { CONTINUE, type Guard, type GuardContext, type RequestView, type Verdict } from '../chain/types.js';
import { serializeCookie, type CookieOptions } from '../cookie/serialize.js';
import { resolveCsrfOptions, type CsrfSettings } from './config.js';
import { CSRF_HANDLE, CSRF_PENDING, CSRF_STATUS, CSRF_TOKEN, type CsrfHandle } from './context.js';
import type { CsrfOptions } from './options.js';
import { refuse } from './refusal.js';
import { CsrfTokenCodec, sameToken } from './token.js';

/** A freshly minted token and the `Set-Cookie` value that stores it. */
export interface IssuedCsrfToken {
  readonly token: string;
  readonly setCookie: string;
}

/** The CSRF guard, plus what code outside the chain needs to mint and check tokens with the same settings. */
export type CsrfGuard = Guard & {
  readonly guardName: 'csrf';
  /** The cookie name as the request carries it (`__Host-csrf`). */
  readonly cookieName: string;
  readonly headerName: string;
  readonly formField: string;
  /** Mints a token bound to `binding` (`undefined`: no session) and its cookie, for code that runs outside a chain. */
  readonly issueToken: (binding: string | undefined) => IssuedCsrfToken;
  /** Whether `token` is a valid token for `binding` under a kid still in the ring. Never throws. */
  readonly verifyToken: (token: unknown, binding: string | undefined) => boolean;
};

/** RFC 9110 §9.2.1: methods defined as safe; the Fetch standard lets them through CORS and forms without preflight. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
/** The safe methods whose responses render pages and so get a token; preflights and TRACE need none. */
const ISSUING_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);
/** What an HTML form can send besides `text/plain` (which has no field syntax to read a token from). */
const FORM_MEDIA_TYPES: ReadonlySet<string> = new Set(['application/x-www-form-urlencoded', 'multipart/form-data']);
const MAX_REFERER_LENGTH = 8192;

function isForm(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const media = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return FORM_MEDIA_TYPES.has(media);
}

function refererAllowed(referer: string, origins: ReadonlySet<string>): boolean {
  if (referer.length > MAX_REFERER_LENGTH) return false;
  try {
    // `URL#origin` is canonical, and `'null'` for every non-http(s) scheme, which is never in the allowed set.
    return origins.has(new URL(referer).origin);
  } catch {
    return false;
  }
}

function exemptReason(settings: CsrfSettings, request: RequestView): string | undefined {
  const entry = settings.exempt.get(request.path);
  if (entry === undefined || typeof entry === 'string') return entry;
  return entry.get(request.method);
}

/**
 * Builds the CSRF guard for cookie-authenticated routes: defence in depth after the OWASP CSRF Prevention Cheat Sheet.
 *
 * Protects against cross-site request forgery — a page on another site making the victim's browser send a
 * state-changing request with the victim's cookies (a form POST, a `fetch` with `credentials: 'include'`, an `<img>`
 * on a route that mutates) — and against login CSRF. Every unsafe method (all but GET, HEAD, OPTIONS, TRACE) must pass,
 * in order: Fetch Metadata (`Sec-Fetch-Site` `cross-site` refused; `same-site` refused unless `allowSameSite`), the
 * `Origin` (else `Referer`) being one of `allowedOrigins`, and a signed double-submit token — the `x-csrf-token`
 * header equal to the `__Host-csrf` cookie and carrying an HMAC that binds it to this session, so a token from another
 * session or a planted cookie fails. Each refusal is a 403 problem `csrf.<reason>` and an `http.csrf.refused` event.
 * `GET`/`HEAD` get a token (cookie + {@link CSRF_TOKEN}) when they have no valid one.
 */
export function csrf(options: CsrfOptions): CsrfGuard {
  const settings = resolveCsrfOptions(options);
  const codec = new CsrfTokenCodec(settings.ring);
  // SameSite=Lax, not Strict: the cookie must ride along on top-level navigations from other sites, or every such
  // visit would find "no token", mint a new one and break the forms open in other tabs. A cookie set from a cross-site
  // subresource response is ignored by browsers (RFC 6265bis §5.6, SameSite≠None), so an <img> cannot reset it.
  const cookieOptions: CookieOptions = { sameSite: 'Lax', allowScriptAccess: settings.exposeTokenCookieToScripts };
  const { origins, cookieName, headerName } = settings;

  function issueToken(binding: string | undefined): IssuedCsrfToken {
    const token = codec.mint(binding ?? '');
    return { token, setCookie: serializeCookie(settings.cookieBaseName, token, cookieOptions) };
  }

  const handle: CsrfHandle = Object.freeze({
    formField: settings.formField,
    issue(context: GuardContext, binding: string | undefined): string {
      const issued = issueToken(binding);
      context.response.addCookie(issued.setCookie);
      context.set(CSRF_TOKEN, issued.token);
      return issued.token;
    },
  });

  function safe(request: RequestView, context: GuardContext): Verdict {
    context.set(CSRF_STATUS, 'safe');
    if (!ISSUING_METHODS.has(request.method) || !settings.cookieAuthenticated(request)) return CONTINUE;
    const binding = settings.sessionBinding(request) ?? '';
    const current = request.cookies.get(cookieName);
    // Keep a valid token: replacing it would break the forms already rendered in other tabs (double submit compares
    // the page's copy with the cookie). Mint only when it is missing, tampered, or bound to another session.
    if (current !== undefined && codec.verify(current, binding)) {
      context.set(CSRF_TOKEN, current);
    } else {
      handle.issue(context, binding);
    }
    return CONTINUE;
  }

  function unsafe(request: RequestView, context: GuardContext): Verdict {
    const method = request.method;
    if (!settings.cookieAuthenticated(request)) {
      context.set(CSRF_STATUS, 'not-applicable');
      return CONTINUE;
    }
    if (settings.exempt.size > 0) {
      const reason = exemptReason(settings, request);
      if (reason !== undefined) {
        // The match is exact, so the path logged is the configured one: nothing attacker-chosen enters the event.
        context.emit(securityEvent('http.csrf.exempted', undefined, { method, path: request.path, reason }));
        context.set(CSRF_STATUS, 'exempt');
        return CONTINUE;
      }
    }

    // (1) Fetch Metadata (W3C Fetch Metadata Request Headers): the browser itself says where the request comes from.
    // Only `same-origin` and `none` (user-initiated) pass; absent means an old browser or a non-browser client, and
    // the origin check below still applies. Unknown values fail closed.
    const site = request.header('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      // Same-site is not same-origin: a sibling subdomain (user content, a forgotten staging host) is another party.
      if (site === 'same-site') {
        if (!settings.allowSameSite) return refuse(context, method, 'same_site');
      } else {
        return refuse(context, method, site === 'cross-site' ? 'cross_site' : 'fetch_metadata_invalid');
      }
    }

    // (2) Origin, else Referer (OWASP: verifying origin with standard headers). Browsers send `Origin` on every POST
    // and canonical, so an exact set lookup is enough; `null` (sandboxed iframes, data: URLs, cross-origin redirects)
    // is never an allowed origin.
    const origin = request.header('origin');
    if (origin !== undefined) {
      if (!origins.has(origin)) return refuse(context, method, origin === 'null' ? 'origin_null' : 'origin_not_allowed');
    } else {
      const referer = request.header('referer');
      if (referer !== undefined) {
        if (!refererAllowed(referer, origins)) return refuse(context, method, 'referer_not_allowed');
      } else if (!settings.allowMissingOriginAndReferer) {
        return refuse(context, method, 'origin_missing');
      }
    }

    // (3) Signed double-submit token. The cookie is `__Host-` (no subdomain or http page can plant it), the header
    // cannot be set cross-site without a CORS preflight, and the MAC binds the token to this session.
    const binding = settings.sessionBinding(request) ?? '';
    const cookieToken = request.cookies.get(cookieName);
    const headerToken = request.header(headerName);
    if (headerToken === undefined) {
      if (settings.deferForms && isForm(request.header('content-type'))) {
        if (cookieToken === undefined) return refuse(context, method, 'cookie_missing');
        if (!codec.verify(cookieToken, binding)) return refuse(context, method, 'token_invalid');
        context.set(CSRF_PENDING, { token: cookieToken, method });
        context.set(CSRF_STATUS, 'pending');
        context.set(CSRF_TOKEN, cookieToken);
        return CONTINUE;
      }
      return refuse(context, method, 'token_missing');
    }
    if (cookieToken === undefined) return refuse(context, method, 'cookie_missing');
    if (!sameToken(headerToken, cookieToken)) return refuse(context, method, 'token_mismatch');
    if (!codec.verify(cookieToken, binding)) return refuse(context, method, 'token_invalid');
    context.set(CSRF_STATUS, 'verified');
    context.set(CSRF_TOKEN, cookieToken);
    return CONTINUE;
  }

  const guard = (request: RequestView, context: GuardContext): Verdict => {
    context.set(CSRF_HANDLE, handle);
    return SAFE_METHODS.has(request.method) ? safe(request, context) : unsafe(request, context);
  };

  return Object.freeze(
    Object.assign(guard, {
      guardName: 'csrf' as const,
      cookieName,
      headerName,
      formField: settings.formField,
      issueToken,
      verifyToken: (token: unknown, binding: string | undefined): boolean => codec.verify(token, binding ?? ''),
    }),
  );
}
