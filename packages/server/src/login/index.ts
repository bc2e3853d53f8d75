/**
 * The login module: password login with a second-factor step, the login flow that alone creates sessions and tokens,
 * logout, step-up, the caller's sessions, password change and the profile. See README.md beside this file.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PasswordPolicy } from '@rampart/core/password';
import { MailOutbox, type MailSender } from '../accounts/index.js';
import type { LoginFlow, SecondFactors, TokenIssuer } from '../auth/contracts.js';
import type { AuthMethod } from '../auth/identity.js';
import type { ServerContext } from '../context.js';
import { loginEvents } from './events.js';
import { createLoginFlow } from './flow.js';
import { loginThrottles, type LoginLimits } from './limits.js';
import { registerLoginRoutes } from './login-routes.js';
import { registerPasswordRoutes } from './password-routes.js';
import { PendingLogins } from './pending-logins.js';
import { registerProfileRoutes } from './profile-routes.js';
import { registerSessionRoutes, stepUpSession } from './session-routes.js';
import { createBrowserLogin, type BrowserLogin } from './browser-login.js';

export { AccountSessions, type AccountSession } from './account-sessions.js';
export { accountProfile, type AccountProfile } from './profile-routes.js';
export { combinedAmr } from './flow.js';
export type { BrowserLogin } from './browser-login.js';
export type { PasswordStepOutcome } from './login-routes.js';
export { methodsOf, type SecondFactorMethod } from './login-routes.js';
export { LOGIN_TOKEN_PATTERN, loginTokenHash } from './login-token.js';
export { MAX_SECOND_FACTOR_ATTEMPTS, PENDING_LOGIN_TTL_MS, PendingLogins } from './pending-logins.js';
export type { LoginLimits } from './limits.js';

/** What the login module needs from the others. */
export interface LoginDeps {
  readonly factors: SecondFactors;
  readonly tokens: TokenIssuer;
  /**
   * The accounts module's outbox, to deliver the "password changed" mail right after the change. Without it the mail
   * is still queued in the outbox table with the change, and leaves with the outbox's next delivery run.
   */
  readonly outbox?: MailOutbox;
  /** Throttle limits and store (defaults in {@link LoginLimits}). */
  readonly limits?: LoginLimits;
  /** Default: `createPasswordPolicy({ serviceName: 'Rampart' })`. */
  readonly policy?: PasswordPolicy;
}

/** What the login module gives the server. */
export interface LoginModule {
  /** For the MFA module's passkey routes: the second-factor and passkey-only completions. */
  readonly flow: LoginFlow;
  /**
   * For the MFA module's passkey step-up: after it verified a passkey for the signed-in caller, gives the session a
   * fresh full authentication with `amr` (new id, `fullyAuthenticatedAt` now) and answers `reply`.
   */
  stepUp(request: FastifyRequest, reply: FastifyReply, amr: readonly AuthMethod[]): Promise<FastifyReply>;
  /** Deletes expired pending logins (they are also dropped whenever a new one is stored). Returns how many. */
  sweep(): Promise<number>;
  /** The sign-in pages' view of the module: the routes' own steps, answering nothing (see `browser-login.ts`). */
  readonly browser: BrowserLogin;
}

const registered = new WeakMap<FastifyInstance, LoginModule>();

/**
 * The login module registered on `app`, for the sign-in pages (which call the same steps as the routes). Throws when
 * there is none: a page must not start without the implementation it fronts.
 */
export function loginModuleOf(app: FastifyInstance): LoginModule {
  const module = registered.get(app);
  if (module === undefined) throw new Error('the login module is not registered on this server');
  return module;
}

/** Never called: the module only enqueues into the fallback outbox, whose rows the accounts' outbox delivers. */
const UNUSED_SENDER: MailSender = { send: () => Promise.reject(new Error('login: mail is delivered by the accounts outbox')) };

/**
 * Builds the login module and registers its routes on `ctx.app` (under `/v1`, inside the scope of the
 * `@rampart/fastify` chain, after the authenticators): `POST /v1/login`, `POST /v1/login/second-factor`,
 * `POST /v1/logout`, `POST /v1/session/step-up`, `GET|DELETE /v1/sessions`, `DELETE /v1/sessions/:handle`,
 * `POST /v1/password/change`, `GET|PATCH /v1/account`.
 *
 * Protects against credential guessing, account enumeration, session fixation, second-factor bypass and guessing,
 * sensitive changes from stolen sessions, IDOR on sessions and mass assignment on the profile (see each route).
 */
export function createLoginModule(ctx: ServerContext, deps: LoginDeps): Promise<LoginModule> {
  const { app, db, hasher, sessions, clock } = ctx;
  const events = loginEvents(ctx.events, clock);
  const pending = new PendingLogins(db, clock);
  const throttles = loginThrottles({ ...(deps.limits === undefined ? {} : { limits: deps.limits }), store: ctx.rateLimits, ring: ctx.ring, events: ctx.events });
  const flow = createLoginFlow({ db, sessions, tokens: deps.tokens, pending, clock, events });
  const reauthentication = { db, hasher, factors: deps.factors, throttles, clock, events };
  const outbox = deps.outbox ?? new MailOutbox(db, UNUSED_SENDER, clock, () => undefined);

  const loginDeps = { db, hasher, factors: deps.factors, flow, pending, throttles, clock, events };
  registerLoginRoutes(app, loginDeps);
  registerSessionRoutes(app, { ...reauthentication, sessions });
  registerPasswordRoutes(app, {
    ...reauthentication,
    sessions,
    tokens: deps.tokens,
    pending,
    ...(deps.policy === undefined ? {} : { policy: deps.policy }),
    queueMail: (trx, mail) => outbox.enqueue(trx, mail),
    mailQueued: () => {
      if (deps.outbox !== undefined) deps.outbox.kick();
    },
  });
  registerProfileRoutes(app, { db, clock, events });

  const module: LoginModule = {
    flow,
    async stepUp(request, reply, amr) {
      await stepUpSession({ sessions, clock, events }, request, reply, amr);
      return reply;
    },
    sweep: () => pending.deleteExpired(),
    browser: createBrowserLogin({ login: loginDeps, reauthentication, sessions, pending, factors: deps.factors }),
  };
  registered.set(app, module);
  return Promise.resolve(module);
}
