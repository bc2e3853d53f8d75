import type { SessionManager } from '@rampart/core/session';
import type { AuthMethod } from '../auth/identity.js';

/** Session handles are 16 random bytes, base64url (core's `newSessionHandle`). */
const HANDLE = /^[A-Za-z0-9_-]{22}$/;

const AUTH_METHODS: ReadonlySet<string> = new Set<AuthMethod>(['pwd', 'otp', 'kba', 'hwk', 'swk', 'user', 'mfa']);

/** One of the account's live browser sessions as its owner sees it: a public handle, never the session id. */
export interface AccountSession {
  readonly handle: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms (written at most once a minute: see core's `touchIntervalSeconds`). */
  readonly lastSeenAt: number;
  /** Whether this is the session making the request. */
  readonly current: boolean;
  /** How the session was signed in (RFC 8176 methods it stores), so the owner can tell a password from a passkey sign-in. */
  readonly amr: readonly AuthMethod[];
}

/**
 * The signed-in account's own browser sessions: list, end one by handle, end all others. One implementation for the
 * JSON routes (`/v1/sessions`) and the account pages.
 *
 * Protects against one user ending or probing another's sessions (IDOR: a handle is looked up only among the caller's
 * own, and another user's handle, an unknown one and a malformed one all read as "not found"), and against session
 * ids leaking through the list (handles only).
 */
export class AccountSessions {
  readonly #sessions: SessionManager;

  constructor(sessions: SessionManager) {
    this.#sessions = sessions;
  }

  /** The user's live sessions, oldest first; `currentSessionId` (the caller's cookie) marks the current one. */
  async list(userId: string, currentSessionId?: string): Promise<AccountSession[]> {
    const listed = await this.#sessions.list(userId, currentSessionId === undefined ? {} : { current: currentSessionId });
    return listed.map((session) => ({
      handle: session.handle,
      createdAt: session.createdAt,
      lastSeenAt: session.lastSeenAt,
      current: session.current,
      amr: Array.isArray(session.data.amr) ? session.data.amr.filter((m): m is AuthMethod => typeof m === 'string' && AUTH_METHODS.has(m)) : [],
    }));
  }

  /**
   * Ends the user's session `handle`. `false` for a malformed handle, an unknown one and another user's alike: the
   * lookup never leaves the caller's own sessions.
   */
  async revoke(userId: string, handle: string): Promise<boolean> {
    return HANDLE.test(handle) && (await this.#sessions.revokeHandle(userId, handle));
  }

  /** Ends every session of the user except `currentSessionId` (the caller's). Returns how many ended. */
  revokeOthers(userId: string, currentSessionId: string | undefined): Promise<number> {
    return this.#sessions.revokeAll(userId, currentSessionId === undefined ? {} : { except: currentSessionId });
  }
}
