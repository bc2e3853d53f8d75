import { contextKey, type ContextKey, type GuardContext } from '../chain/types.js';

/**
 * The CSRF token of the current request, for templates (`<input type="hidden" name="_csrf">`, a `<meta>` tag) and a
 * same-origin bootstrap endpoint (`GET /csrf` → `{ token }`). Set by the guard on every `GET`/`HEAD` and on every
 * verified unsafe request; replaced by {@link rotateCsrfToken}.
 */
export const CSRF_TOKEN: ContextKey<string> = contextKey<string>('csrf-token');

/** How the guard settled the request. `pending`: a form token still has to be checked after body parsing. */
export type CsrfStatus = 'safe' | 'not-applicable' | 'exempt' | 'verified' | 'pending';

/** What the guard leaves in the context for the functions below; internal. */
export interface CsrfHandle {
  readonly formField: string;
  /** Mints a token for `binding`, sets its cookie on the response and {@link CSRF_TOKEN}; returns the token. */
  issue(context: GuardContext, binding: string | undefined): string;
}

export interface CsrfPending {
  /** The cookie token, already verified against the session; the form field must equal it. */
  readonly token: string;
  readonly method: string;
}

export const CSRF_HANDLE: ContextKey<CsrfHandle> = contextKey<CsrfHandle>('csrf-handle');
export const CSRF_STATUS: ContextKey<CsrfStatus> = contextKey<CsrfStatus>('csrf-status');
export const CSRF_PENDING: ContextKey<CsrfPending> = contextKey<CsrfPending>('csrf-pending');
