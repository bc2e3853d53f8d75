import { cookieName, parseCookies, serializeCookie, serializeCookieDeletion } from '@rampart/core/http';
import type { SessionData, SessionManager } from '@rampart/core/session';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from './authenticate.js';
import type { LoginFacts } from './contracts.js';
import type { AuthMethod, Identity } from './identity.js';

/**
 * The browser session cookie: `__Host-rampart_session` — `Secure`, `HttpOnly`, `SameSite=Lax`, `Path=/`, no `Domain`
 * (a subdomain or a plain-http page cannot plant or read it). Its value is the session id; the store keeps only its
 * SHA-256.
 */
export const SESSION_COOKIE = cookieName('rampart_session');

const AUTH_METHODS: ReadonlySet<string> = new Set<AuthMethod>(['pwd', 'otp', 'kba', 'hwk', 'swk', 'user', 'mfa']);

/** The session id the request's cookie carries (the CSRF token's binding too), or `undefined`. */
export function sessionIdOf(request: FastifyRequest): string | undefined {
  const fromChain = request.rampart?.request.cookies.get(SESSION_COOKIE);
  if (fromChain !== undefined) return fromChain;
  return parseCookies(request.headers.cookie).get(SESSION_COOKIE);
}

/** The session data a completed login stores: the facts, nothing a client could send. */
export function sessionDataOf(facts: LoginFacts): SessionData {
  return { authTime: facts.authTime, amr: [...facts.amr], fullyAuthenticatedAt: facts.fullyAuthenticatedAt };
}

function factsOf(data: SessionData): { amr: AuthMethod[]; authTime: number; fullyAuthenticatedAt?: number } | undefined {
  const { authTime, amr, fullyAuthenticatedAt } = data;
  if (typeof authTime !== 'number' || !Array.isArray(amr)) return undefined;
  const methods = amr.filter((m): m is AuthMethod => typeof m === 'string' && AUTH_METHODS.has(m));
  return { amr: methods, authTime, ...(typeof fullyAuthenticatedAt === 'number' ? { fullyAuthenticatedAt } : {}) };
}

/**
 * Authenticates requests by the session cookie. A cookie naming a dead session (expired, revoked, rotated away) ends
 * there: a 401 on the API, the sign-in page on pages, and either way the cookie is cleared so the browser stops sending
 * it; an anonymous session (no user) is no identity.
 *
 * Protects against: revoked or expired sessions still acting (every request validates against the store, idle and
 * absolute timeouts applied); sessions whose stored facts were tampered with into a shape the server never wrote.
 */
export function sessionAuthenticator(sessions: SessionManager): Authenticator {
  return {
    name: 'session',
    async authenticate(request) {
      const id = sessionIdOf(request);
      if (id === undefined) return { kind: 'absent' };
      const validated = await sessions.validate(id);
      if (!validated.ok) {
        return { kind: 'ended', clearCookie: serializeCookieDeletion('rampart_session') };
      }
      const session = validated.value;
      if (session.userId === undefined) return { kind: 'absent' };
      const facts = factsOf(session.data);
      if (facts === undefined) return { kind: 'absent' };
      const identity: Identity = {
        userId: session.userId,
        source: 'session',
        amr: facts.amr,
        authTime: facts.authTime,
        ...(facts.fullyAuthenticatedAt === undefined ? {} : { fullyAuthenticatedAt: facts.fullyAuthenticatedAt }),
        sessionHandle: session.handle,
      };
      return { kind: 'authenticated', identity };
    },
  };
}

/** Options of {@link sessionCookie}. */
export interface SessionCookieOptions {
  /** Seconds: the session's absolute lifetime, so the cookie never outlives the session. */
  readonly maxAgeSeconds: number;
}

/**
 * Sets the session cookie and rotates the CSRF token to the new session id in the same response.
 *
 * Protects against session fixation (the id is new — `SessionManager.login`/`rotate` issued it — and the pre-login
 * CSRF token stops verifying) and against the cookie leaking to scripts, plain http or other sites.
 */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, sessionId: string, options: SessionCookieOptions): void {
  void reply.header('set-cookie', serializeCookie('rampart_session', sessionId, { maxAge: options.maxAgeSeconds }));
  request.rampart?.rotateCsrfToken(sessionId);
}

/** Clears the session cookie and binds a fresh CSRF token to "no session" (logout). */
export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  void reply.header('set-cookie', serializeCookieDeletion('rampart_session'));
  request.rampart?.rotateCsrfToken(undefined);
}
