import { problem, type Problem } from '@rampart/core/http';
import { ProblemError } from '@rampart/fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Identity } from './identity.js';

/** What one authenticator concluded about a request. */
export type AuthenticationOutcome =
  /** The request does not carry this authenticator's credential: the next one is asked. */
  | { readonly kind: 'absent' }
  | { readonly kind: 'authenticated'; readonly identity: Identity }
  /**
   * The request carries this authenticator's credential and it is bad (expired, forged, revoked): the request is
   * answered with `problem` at once, never treated as anonymous — a client must learn that its credential failed.
   */
  | { readonly kind: 'refused'; readonly problem: Problem }
  /**
   * The request carries a session cookie whose session has ended (expired, revoked, rotated away). Either way
   * `clearCookie` (a `Set-Cookie` deleting the cookie) joins the response, so the browser stops sending a dead id. A
   * program gets {@link SESSION_ENDED}; a page treats the browser as signed out and goes on anonymously, so the page
   * sends the person to sign in rather than showing a JSON 401. Anonymous is the least a request can be: the dead
   * session grants nothing either way.
   */
  | { readonly kind: 'ended'; readonly clearCookie: string };

/**
 * One way to authenticate a request (session cookie, bearer token, API key). Runs once per request, before the
 * handler; must never throw for attacker-controlled input (answer `refused` instead).
 */
export interface Authenticator {
  /** Short name for logs and tests: `session`, `bearer`, `api-key`. */
  readonly name: string;
  authenticate(request: FastifyRequest): Promise<AuthenticationOutcome>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller, or `undefined` for an anonymous request. Set before any handler runs. */
    identity: Identity | undefined;
  }
}

/** RFC 9110 §15.5.2: a 401 carries a challenge. */
export const CHALLENGE: Readonly<Record<string, string>> = { 'www-authenticate': 'Bearer realm="rampart"' };

/** The 401 for a request that needs an identity and has none. */
export const UNAUTHENTICATED: Problem = problem(401, 'unauthenticated', 'Unauthorized', {
  code: 'auth.unauthenticated',
  detail: 'Sign in, or send a valid access token or API key.',
  headers: CHALLENGE,
});

/** The 401 for a session that has ended (expired, revoked, rotated away), checked at the door or while a request ran. */
export const SESSION_ENDED: Problem = problem(401, 'session-expired', 'Unauthorized', {
  code: 'auth.session_invalid',
  detail: 'The session has ended. Sign in again.',
  headers: CHALLENGE,
});

/** Options of {@link registerAuthentication}. */
export interface AuthenticationOptions {
  /**
   * Whether `request` is for a page a browser renders (not the JSON API): there an ended session signs the browser
   * out instead of answering 401. Default: no request is.
   */
  readonly isPage?: (request: FastifyRequest) => boolean;
}

/**
 * Runs `authenticators` in order on every request of `app` (the first that is not `absent` decides) and sets
 * `request.identity`. Two different credentials on one request (a session cookie *and* a bearer token) are refused
 * rather than picked from: a request acting for two parties is a confused-deputy bug or an attack.
 *
 * Protects against: a forged or revoked credential silently downgraded to an anonymous request on the API (it is a
 * 401, not a pass — only a page, which a person reads, takes an ended session as signed out, and clears its cookie);
 * ambiguity over whose request it is.
 */
export function registerAuthentication(app: FastifyInstance, authenticators: readonly Authenticator[], options: AuthenticationOptions = {}): void {
  app.decorateRequest('identity', undefined);
  app.addHook('preHandler', async (request, reply) => {
    let found: Identity | undefined;
    for (const authenticator of authenticators) {
      const outcome = await authenticator.authenticate(request);
      if (outcome.kind === 'absent') continue;
      if (outcome.kind === 'refused') throw new ProblemError(outcome.problem);
      if (outcome.kind === 'ended') {
        if (options.isPage?.(request) !== true) throw new ProblemError({ ...SESSION_ENDED, headers: { ...CHALLENGE, 'set-cookie': outcome.clearCookie } });
        void reply.header('set-cookie', outcome.clearCookie);
        continue;
      }
      if (found !== undefined) {
        throw new ProblemError(
          problem(400, 'ambiguous-credentials', 'Bad Request', {
            code: 'auth.ambiguous_credentials',
            detail: 'Send one credential per request: a session cookie, an access token or an API key.',
          }),
        );
      }
      found = outcome.identity;
    }
    request.identity = found;
  });
}
