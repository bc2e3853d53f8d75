import type { KeyRing } from '../../crypto/keyring.js';
import type { SecurityEventSink } from '../../events.js';
import type { RequestView } from '../chain/types.js';

/** A route that skips the CSRF checks. Exact match only: no prefixes, patterns or wildcards. */
export interface CsrfExemptRoute {
  /** Upper-case method (`POST`); omitted, every unsafe method of `path` is exempt. */
  readonly method?: string;
  /** The path exactly as the request sends it (`RequestView.path`, percent-encoding kept), starting with `/`. */
  readonly path: string;
  /** Why this route needs no CSRF protection (a webhook authenticated by its own signature); logged. */
  readonly reason: string;
}

export interface CsrfOptions {
  /** Keys for the token MAC (purpose-bound subkey `csrf`); a rotation keeps old tokens valid until their kid is retired. */
  readonly ring: KeyRing;
  /**
   * The application's own origins (`https://app.example`), exact and canonical as browsers send them: scheme, host,
   * and port only when it is not the default. `https` only, except loopback hosts (`http://localhost:3000`).
   */
  readonly allowedOrigins: readonly string[];
  /**
   * The session identifier a token is bound to (the raw session cookie value, or a hash of it), or `undefined` for a
   * visitor without a session. Default: the `__Host-sid` cookie.
   */
  readonly sessionBinding?: (request: RequestView) => string | undefined;
  /** Name of the token cookie, written with the `__Host-` prefix. Default `csrf` (→ `__Host-csrf`). */
  readonly cookieName?: string;
  /** Request header carrying the token (lower-case). Default `x-csrf-token`. */
  readonly headerName?: string;
  /** Form field carrying the token for HTML forms. Default `_csrf`. See {@link CsrfOptions.verifyFormFieldAfterBodyParsing}. */
  readonly formField?: string;
  /**
   * Default `false`: an unsafe request without the token header is refused. `true` declares that the adapter (or the
   * application) calls `verifyCsrfFormField` after parsing the body and before the handler runs; the guard then lets a
   * `application/x-www-form-urlencoded` or `multipart/form-data` request without the header through as *pending*,
   * after every other check (Fetch Metadata, origin, cookie bound to this session) has passed.
   */
  readonly verifyFormFieldAfterBodyParsing?: boolean;
  /** Routes that skip the checks, each logged as `config.loosened` at build and `http.csrf.exempted` when hit. */
  readonly exempt?: readonly CsrfExemptRoute[];
  /**
   * Whether the request can carry credentials a browser attaches on its own (cookies), and so can be forged
   * cross-site. Default: every request except one with no `Cookie` header and an `Authorization: Bearer` header.
   * Replacing it is logged as `config.loosened`.
   */
  readonly cookieAuthenticated?: (request: RequestView) => boolean;
  /** Loosening: accept `Sec-Fetch-Site: same-site` (a sibling subdomain, which may be attacker-controlled). */
  readonly allowSameSite?: boolean;
  /** Loosening: accept an unsafe request that carries neither `Origin` nor `Referer` (the token is still required). */
  readonly allowMissingOriginAndReferer?: boolean;
  /** Loosening: omit `HttpOnly` on the token cookie so page scripts can read it (the SPA "read the cookie" pattern). */
  readonly exposeTokenCookieToScripts?: boolean;
  /** Receives the `config.loosened` events, once, when the guard is built. */
  readonly events?: SecurityEventSink;
}
