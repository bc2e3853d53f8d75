import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthMethod } from './identity.js';

/*
 * The seams between the server's authentication modules: the login flow (password, second factor, passkey), the MFA
 * module (enrolled factors), and the token module (access and refresh tokens). Each side depends on these interfaces,
 * never on the other's implementation.
 */

/** What a completed authentication proved, stored with the session or put into the tokens. */
export interface LoginFacts {
  readonly userId: string;
  /** RFC 8176 methods used; `mfa` added when more than one factor was used. */
  readonly amr: readonly AuthMethod[];
  /** When the first factor (password or passkey) was verified (epoch ms). */
  readonly authTime: number;
  /** When every factor the account requires was proved (epoch ms): the step-up clock. */
  readonly fullyAuthenticatedAt: number;
}

/** How a login hands over its result: a browser session cookie, or an access/refresh token pair for an API client. */
export type LoginDelivery = 'session' | 'tokens';

/** The token endpoint's answer (RFC 6749 §5.1), also answered by a login with delivery `tokens`. */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  /** Seconds. */
  readonly expires_in: number;
  readonly refresh_token: string;
  readonly scope?: string;
}

/** Mints tokens for a completed login (implemented by the token module). */
export interface TokenIssuer {
  issue(facts: LoginFacts): Promise<TokenResponse>;
  /** Ends every refresh-token family of the user (password change or reset, account lock). Returns how many. */
  revokeUser(userId: string, reason: 'logout_everywhere' | 'password_changed' | 'account_locked'): Promise<number>;
}

/** The factors a user has enrolled: decides whether a password login needs a second step. */
export interface EnrolledFactors {
  readonly totp: boolean;
  /** Unused backup codes left. */
  readonly backupCodes: number;
  readonly passkeys: number;
}

/** Why a one-time code was refused (the client sees one generic answer; the event keeps the reason). */
export type CodeRefusal = 'invalid' | 'replayed' | 'not_enrolled';

/** Second factors of an account (implemented by the MFA module). */
export interface SecondFactors {
  enrolled(userId: string): Promise<EnrolledFactors>;
  /** Verifies a TOTP code and spends its time step (replay-proof). */
  verifyTotp(userId: string, code: string): Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: CodeRefusal }>;
  /** Verifies and spends one backup code. */
  verifyBackupCode(userId: string, code: string): Promise<{ readonly ok: true; readonly remaining: number } | { readonly ok: false; readonly reason: CodeRefusal }>;
}

/** Whether an enrolled-factor set makes a second factor mandatory at login. */
export function requiresSecondFactor(factors: EnrolledFactors): boolean {
  return factors.totp || factors.passkeys > 0;
}

/** A login whose first factor passed and whose second is awaited (`POST /v1/login` answered `mfa_required`). */
export interface PendingLogin {
  readonly userId: string;
  readonly amr: readonly AuthMethod[];
  readonly authTime: number;
  readonly delivery: LoginDelivery;
}

/**
 * The login flow's seam for second-factor and passkey routes (implemented by the login module): they verify their
 * factor, then hand over here; the flow alone creates sessions and tokens.
 */
export interface LoginFlow {
  /**
   * The pending login `loginToken` names, counting one attempt against it; `undefined` when the token is unknown,
   * expired, already used or out of attempts (every case looks the same to the client).
   */
  attempt(loginToken: string): Promise<PendingLogin | undefined>;
  /**
   * Finishes the pending login after its second factor (`method`) verified: spends the token (exactly once, even under
   * concurrent use), then answers `reply` with the session cookie or the tokens.
   */
  completeSecondFactor(request: FastifyRequest, reply: FastifyReply, loginToken: string, method: AuthMethod): Promise<FastifyReply>;
  /**
   * Finishes a login proved by one phishing-resistant factor alone — a passkey with user verification (`amr`
   * `['hwk' | 'swk', 'user', 'mfa']`) — and answers `reply` with the session cookie or the tokens.
   */
  completeWithoutPassword(request: FastifyRequest, reply: FastifyReply, facts: LoginFacts, delivery: LoginDelivery): Promise<FastifyReply>;
}
