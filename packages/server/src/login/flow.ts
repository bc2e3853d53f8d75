import type { Clock } from '@rampart/core';
import type { SessionManager } from '@rampart/core/session';
import { ProblemError } from '@rampart/fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { LoginDelivery, LoginFacts, LoginFlow, PendingLogin, TokenIssuer } from '../auth/contracts.js';
import type { AuthMethod } from '../auth/identity.js';
import { sessionDataOf, sessionIdOf, setSessionCookie } from '../auth/session-cookie.js';
import type { RampartDatabase } from '../db/schema.js';
import type { LoginEvents } from './events.js';
import { clientIp, sendJson } from './http.js';
import type { PendingLogins } from './pending-logins.js';
import { EMAIL_UNVERIFIED, INVALID_CREDENTIALS, LOGIN_TOKEN_INVALID, SESSION_LIMIT } from './problems.js';
import { credentialsById } from './users.js';

/** What the flow is built from. */
export interface LoginFlowDeps {
  readonly db: Kysely<RampartDatabase>;
  readonly sessions: SessionManager;
  readonly tokens: TokenIssuer;
  readonly pending: PendingLogins;
  readonly clock: Clock;
  readonly events: LoginEvents;
}

/** The login flow with the one step every completion shares. */
export interface CompletingLoginFlow extends LoginFlow {
  /**
   * Hands a completed login over: a fresh session and its cookie (the CSRF token rotated with it), or the token
   * response. Sends the answer on `reply`.
   */
  deliver(request: FastifyRequest, reply: FastifyReply, facts: LoginFacts, delivery: LoginDelivery): Promise<void>;
  /**
   * The session half of {@link deliver} without a body: a fresh session, its cookie on `reply` and the CSRF token
   * re-bound to it, the success event. For the pages, which answer with a redirect.
   */
  openSession(request: FastifyRequest, reply: FastifyReply, facts: LoginFacts): Promise<void>;
  /**
   * Spends the pending login `loginToken` after its second factor (`method`) verified and returns what the completed
   * login proved and how it wants to be delivered; throws the login-token problem when nothing was spent.
   */
  spendSecondFactor(loginToken: string, method: AuthMethod): Promise<{ readonly facts: LoginFacts; readonly delivery: LoginDelivery }>;
  /**
   * {@link LoginFlow.completeSecondFactor} without handing the reply back: for the module's own routes, which must
   * not await a Fastify reply (a thenable).
   */
  finishSecondFactor(request: FastifyRequest, reply: FastifyReply, loginToken: string, method: AuthMethod): Promise<void>;
}

/** Seconds until `expiresAt` (epoch ms), at least 1: the cookie never outlives the session. */
export function secondsUntil(expiresAt: number, now: number): number {
  return Math.max(1, Math.ceil((expiresAt - now) / 1000));
}

/** `methods` in RFC 8176 order, each once, with `mfa` last when more than one factor was used. */
export function combinedAmr(first: readonly AuthMethod[], second: readonly AuthMethod[]): AuthMethod[] {
  const methods = [...new Set([...first, ...second].filter((m) => m !== 'mfa'))];
  return [...methods, 'mfa'];
}

/**
 * Builds the login flow: the only code that turns a verified authentication into a session or tokens. The password
 * route, the second-factor route and the MFA module's passkey routes all end here.
 *
 * Protects against session fixation (the session is always new: `SessionManager.login` issues a fresh id and kills
 * whatever id the browser arrived with, and the CSRF token is re-bound to it); against a second factor being skipped
 * or used twice (a pending login is spent by one conditional UPDATE after the factor verified); and against a login
 * completing for an account locked or unverified meanwhile (checked again at completion).
 */
export function createLoginFlow(deps: LoginFlowDeps): CompletingLoginFlow {
  const { sessions, tokens, pending, clock, events } = deps;

  async function deliver(request: FastifyRequest, reply: FastifyReply, facts: LoginFacts, delivery: LoginDelivery): Promise<void> {
    const attributes = { delivery, amr: facts.amr.join(' '), clientIp: clientIp(request) };
    if (delivery === 'tokens') {
      const body = await tokens.issue(facts);
      events('auth.login.succeeded', facts.userId, attributes);
      // RFC 6749 §5.1: the token response must not be cached.
      void reply.header('pragma', 'no-cache');
      void sendJson(reply, 200, body);
      return;
    }
    await openSession(request, reply, facts);
    void sendJson(reply, 200, { status: 'signed_in' });
  }

  async function openSession(request: FastifyRequest, reply: FastifyReply, facts: LoginFacts): Promise<void> {
    // Whatever session the browser arrived with (an anonymous one, one planted by an attacker, another user's) is
    // killed by the login; only the new id is valid afterwards.
    const issued = await sessions.login(sessionIdOf(request), facts.userId, { data: sessionDataOf(facts) });
    if (!issued.ok) throw new ProblemError(SESSION_LIMIT);
    setSessionCookie(request, reply, issued.value.id, { maxAgeSeconds: secondsUntil(issued.value.session.absoluteExpiresAt, clock.now()) });
    events('auth.login.succeeded', facts.userId, { delivery: 'session', amr: facts.amr.join(' '), clientIp: clientIp(request) });
  }

  /** Refuses a completion for an account that is gone, locked or unverified since the first factor. */
  async function checkAccount(userId: string): Promise<void> {
    const account = await credentialsById(deps.db, userId);
    if (account === undefined || account.locked) throw new ProblemError(INVALID_CREDENTIALS);
    if (!account.emailVerified) throw new ProblemError(EMAIL_UNVERIFIED);
  }

  async function spendSecondFactor(loginToken: string, method: AuthMethod): Promise<{ readonly facts: LoginFacts; readonly delivery: LoginDelivery }> {
    const spent = await pending.spend(loginToken);
    if (spent === undefined) throw new ProblemError(LOGIN_TOKEN_INVALID);
    await checkAccount(spent.userId);
    const facts: LoginFacts = { userId: spent.userId, amr: combinedAmr(spent.amr, [method]), authTime: spent.authTime, fullyAuthenticatedAt: clock.now() };
    return { facts, delivery: spent.delivery };
  }

  async function finishSecondFactor(request: FastifyRequest, reply: FastifyReply, loginToken: string, method: AuthMethod): Promise<void> {
    const { facts, delivery } = await spendSecondFactor(loginToken, method);
    await deliver(request, reply, facts, delivery);
  }

  return {
    deliver,
    openSession,
    spendSecondFactor,

    attempt(loginToken: string): Promise<PendingLogin | undefined> {
      return pending.attempt(loginToken);
    },

    finishSecondFactor,

    async completeSecondFactor(request, reply, loginToken, method) {
      await finishSecondFactor(request, reply, loginToken, method);
      return reply;
    },

    async completeWithoutPassword(request, reply, facts, delivery) {
      await checkAccount(facts.userId);
      await deliver(request, reply, facts, delivery);
      return reply;
    },
  };
}
