import type { Int64 } from '../db/schema.js';

/**
 * Tables of the login module (`0004_login`). Times are epoch milliseconds (`Int64`), like the session store's and the
 * login facts they become (`authTime`, `fullyAuthenticatedAt`).
 */
export interface LoginTables {
  /**
   * Logins whose password was right and whose second factor is awaited. The row is the only server-side trace of the
   * half-done login: the client holds a 256-bit token, the row only its SHA-256.
   */
  rampart_pending_logins: {
    /** Hex SHA-256 of the login token (purpose-prefixed); the token itself is never stored. */
    token_hash: string;
    user_id: string;
    /** JSON array of the RFC 8176 methods proved so far (`["pwd"]`). */
    amr: string;
    /** When the first factor was verified. */
    auth_time: Int64;
    /** `session` or `tokens`: how the completed login is handed over. */
    delivery: string;
    /** Second-factor attempts counted against this login (at most five). */
    attempts: number;
    created_at: Int64;
    expires_at: Int64;
    /** Set once, by the one completion that wins. */
    used_at: Int64 | null;
  };
  /** The profile column the login module adds to the accounts table (`0003_accounts` owns the rest). */
  rampart_users: {
    /** What the user chose to be called; `null` until set. Never used for authentication or lookup. */
    display_name: string | null;
  };
}
