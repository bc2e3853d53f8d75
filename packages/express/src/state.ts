import type { Response } from 'express';
import { CSP_NONCE, CSRF_TOKEN, rotateCsrfToken, type ChainOutcome, type ContextKey, type RequestContext, type RequestView } from '@rampart/core/http';

/**
 * What the chain decided about one request, handed to the application as `res.locals.rampart`.
 *
 * One small object per request that reads through to the chain's outcome: values the application never asks for (a
 * random correlation id, the resolved client address) are never computed.
 */
export class RampartState {
  readonly #outcome: ChainOutcome;
  readonly #response: Response;

  constructor(outcome: ChainOutcome, response: Response) {
    this.#outcome = outcome;
    this.#response = response;
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
    const cookies = this.#outcome.headers.cookies;
    const before = cookies.length;
    const token = rotateCsrfToken(this.#outcome.context, newSessionBinding);
    for (let index = before; index < cookies.length; index += 1) {
      const cookie = cookies[index];
      if (cookie !== undefined) this.#response.append('set-cookie', cookie);
    }
    return token;
  }

  /** A per-request value a guard set (a CSP nonce, a CSRF token, a principal). */
  get<T>(key: ContextKey<T>): T | undefined {
    return this.#outcome.context.get(key);
  }
}
