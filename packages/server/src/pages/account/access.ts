import type { Clock } from '@rampart/core';
import type { BodyRoute } from '@rampart/core/http';
import { ProblemError } from '@rampart/fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requireStepUp } from '../../auth/guards.js';
import type { Identity } from '../../auth/identity.js';
import { formRoutes, seeOther } from '../forms.js';

// The generic form helpers (closed schemas with `_csrf`, Post/Redirect/Get, constant notices) are the pages' shared ones.
export { formOf, formSchema, noticeOf, seeOther } from '../forms.js';

/** Where an anonymous browser is sent: the sign-in page. */
export const SIGN_IN_PATH = '/login';

/**
 * The form posts of the account pages, for the server's body guard: urlencoded (what a plain HTML form sends), on
 * exactly these paths, at most 8 KiB (the largest field is a 1,366-character passkey id). Everything else under
 * `/account` keeps the JSON-only default.
 */
export const ACCOUNT_FORM_ROUTES: readonly BodyRoute[] = formRoutes([
  '/account/sessions/revoke',
  '/account/sessions/revoke-others',
  '/account/api-keys',
  '/account/api-keys/revoke',
  '/account/security/backup-codes',
  '/account/security/passkeys/remove',
  '/account/connected-apps/revoke',
]);

/**
 * The signed-in browser session's identity, or `undefined` after answering `303` to the sign-in page. Only a session
 * opens the account pages: a bearer token or an API key in a browser request is a program, not the person at the
 * keyboard, and is sent to sign in too.
 *
 * Protects against the pages acting for anyone but the person signed in with this browser.
 */
export function signedInIdentity(request: FastifyRequest, reply: FastifyReply): Identity | undefined {
  const identity = request.identity;
  if (identity?.source === 'session') return identity;
  void seeOther(reply, SIGN_IN_PATH);
  return undefined;
}

/**
 * Whether the session proved every factor within the step-up window (`requireStepUp`, 10 minutes): the same check as
 * the JSON routes', so a page cannot be the weaker door to a sensitive change.
 */
export function recentlyAuthenticated(request: FastifyRequest, clock: Clock): boolean {
  try {
    requireStepUp(request, { clock });
    return true;
  } catch (error) {
    if (error instanceof ProblemError && error.problem.code === 'auth.step_up_required') return false;
    throw error;
  }
}

/** The step-up page, coming back to `next` (one of the account pages: a constant, never taken from the request). */
export function stepUpPath(next: `/account${string}`): `/${string}` {
  return `/step-up?next=${encodeURIComponent(next)}`;
}
