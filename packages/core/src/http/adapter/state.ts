import type { ChainOutcome, RequestContext } from '../chain/chain.js';
import type { ContextKey, RequestView } from '../chain/types.js';
import { CSRF_TOKEN, rotateCsrfToken } from '../csrf/index.js';
import { CSP_NONCE } from '../headers/index.js';

/** Adds one `Set-Cookie` line to a framework's response (Express `res.append`, Fastify `reply.header`, Hono `c.header`). */
export type CookieAppender<R> = (response: R, serializedCookie: string) => void;

/**
 * What the chain decided about one request, handed to the application by every adapter (`res.locals.rampart`,
 * `request.rampart`, `c.get('rampart')`), so handlers read the same values under every framework.
 *
 * One small object per request that reads through to the chain's outcome: values the application never asks for (a
 * random correlation id, the resolved client address) are never computed. The cookie appender is a plain function
 * shared by all requests, so building the state allocates no closure.
 */
export class RampartState<R = unknown> {
  readonly #outcome: ChainOutcome;
  readonly #response: R;
  readonly #appendCookie: CookieAppender<R>;

  constructor(outcome: ChainOutcome, response: R, appendCookie: CookieAppender<R>) {
    this.#outcome = outcome;
    this.#response = response;
    this.#appendCookie = appendCookie;
  }

  /** The id that ties a response to the operator's logs; quote it in errors and events. */
  get correlationId(): string {
    return this.#outcome.context.correlationId;
  }

  /** The client's address through the trusted-proxy rules — never the raw `X-Forwarded-For`. */
  get clientIp(): string {
    return this.#outcome.request.clientIp;
  }

  /** Whether the client reached the edge over HTTPS. */
  get secure(): boolean {
    return this.#outcome.request.secure;
  }

  /** This response's CSP nonce, for `<script nonce>`; `undefined` when the policy uses none. */
  get cspNonce(): string | undefined {
    return this.#outcome.context.get(CSP_NONCE);
  }

  /** The CSRF token for forms and same-origin scripts (`_csrf` field, `x-csrf-token` header), when the guard set one. */
  get csrfToken(): string | undefined {
    return this.#outcome.context.get(CSRF_TOKEN);
  }

  /** The request as the guards saw it. */
  get request(): RequestView {
    return this.#outcome.request;
  }

  /** The per-request context the guards wrote to. */
  get context(): RequestContext {
    return this.#outcome.context;
  }

  /**
   * Issues a CSRF token bound to the new session — the new session id after login, `undefined` after logout — and
   * sets its cookie on this response; returns the token for the page.
   *
   * Protects against session fixation carried through the CSRF token: a token known before login stops verifying. Use
   * it instead of core's `rotateCsrfToken(context, …)`, whose cookie would be added to the chain's headers after the
   * adapter has already applied them. Throws when the CSRF guard is not in the chain.
   */
  rotateCsrfToken(newSessionBinding: string | undefined): string {
    const headers = this.#outcome.headers;
    const before = headers.cookies.length;
    const token = rotateCsrfToken(this.#outcome.context, newSessionBinding);
    // Read the list again: the first cookie a chain adds creates it.
    const cookies = headers.cookies;
    for (let index = before; index < cookies.length; index += 1) {
      const cookie = cookies[index];
      if (cookie !== undefined) this.#appendCookie(this.#response, cookie);
    }
    return token;
  }

  /** A per-request value a guard set (a CSP nonce, a CSRF token, a principal). */
  get<T>(key: ContextKey<T>): T | undefined {
    return this.#outcome.context.get(key);
  }
}
