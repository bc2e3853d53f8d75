import type { SessionManager } from '@rampart/core/session';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EnrolledFactors, LoginFacts, SecondFactors } from '../auth/contracts.js';
import { methodsOf, passwordStep, secondFactorStep, type LoginRouteDeps, type PasswordStepOutcome, type SecondFactorMethod } from './login-routes.js';
import type { PendingLogins } from './pending-logins.js';
import { reauthenticate, type ReauthenticationDeps, type ReauthenticationInput } from './reauthenticate.js';
import { endSession, rotateForStepUp } from './session-routes.js';

/**
 * The login operations for server-rendered pages: the same steps as the JSON routes (`passwordStep`,
 * `secondFactorStep`, `reauthenticate`, the flow's session), but nothing is sent — the cookie goes on `reply` and the
 * page answers with its own redirect. Refusals are thrown as the routes' `ProblemError`s (stable `code`, status,
 * `Retry-After`), which the pages render as forms with an error.
 */
export interface BrowserLogin {
  /** The password step for a browser session. A `complete` outcome is not signed in yet: call {@link openSession}. */
  signIn(request: FastifyRequest, email: string, password: string): Promise<PasswordStepOutcome>;
  /** The code step of the pending login `loginToken`; on success the session is open (cookie on `reply`). */
  completeSecondFactor(request: FastifyRequest, reply: FastifyReply, loginToken: string, method: 'totp' | 'backup_code', code: string): Promise<LoginFacts>;
  /** A new session for a completed login (cookie on `reply`, CSRF token re-bound): session fixation cannot survive it. */
  openSession(request: FastifyRequest, reply: FastifyReply, facts: LoginFacts): Promise<void>;
  /** The methods the pending login `loginToken` can be finished with, without counting an attempt; `undefined` if it is dead. */
  pendingMethods(loginToken: string): Promise<readonly SecondFactorMethod[] | undefined>;
  /** The signed-in user's enrolled factors (what a re-authentication form must ask for). */
  enrolled(userId: string): Promise<EnrolledFactors>;
  /** Re-verifies the signed-in user's password (and code) and rotates the session with a fresh full authentication. */
  stepUp(request: FastifyRequest, reply: FastifyReply, userId: string, input: ReauthenticationInput): Promise<void>;
  /** Ends the browser session in the store and clears its cookie on `reply`. */
  signOut(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

/** What {@link createBrowserLogin} is built from: the login module's own parts. */
export interface BrowserLoginDeps {
  readonly login: LoginRouteDeps;
  readonly reauthentication: ReauthenticationDeps;
  readonly sessions: SessionManager;
  readonly pending: PendingLogins;
  readonly factors: SecondFactors;
}

/**
 * Builds the pages' view of the login module over the very objects its routes use (throttles, pending logins, flow),
 * so a page counts in the same buckets and refuses exactly what the route refuses.
 *
 * Protects against a second, weaker login path: pages get no shortcut past the throttles, the single Argon2id verify,
 * the pending-login attempt counter, the replay-proof code checks, the session rotation or the step-up throttle.
 */
export function createBrowserLogin(deps: BrowserLoginDeps): BrowserLogin {
  const { login, sessions } = deps;
  return {
    signIn: (request, email, password) => passwordStep(login, request, { email, password, delivery: 'session' }),

    async completeSecondFactor(request, reply, loginToken, method, code) {
      // A pending login the JSON API opened for tokens still ends in a browser session here: the page is a browser.
      const { facts } = await secondFactorStep(login, request, { loginToken, method, code });
      await login.flow.openSession(request, reply, facts);
      return facts;
    },

    openSession: (request, reply, facts) => login.flow.openSession(request, reply, facts),

    async pendingMethods(loginToken) {
      const pending = await deps.pending.peek(loginToken);
      if (pending === undefined) return undefined;
      return methodsOf(await deps.factors.enrolled(pending.userId));
    },

    enrolled: (userId) => deps.factors.enrolled(userId),

    async stepUp(request, reply, userId, input) {
      const { amr } = await reauthenticate(deps.reauthentication, request, userId, input, { stage: 'step_up', withSecondFactor: true });
      await rotateForStepUp({ sessions, clock: login.clock, events: login.events }, request, reply, amr);
    },

    signOut: (request, reply) => endSession(sessions, request, reply),
  };
}
