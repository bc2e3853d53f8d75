/**
 * Who a request acts for, once an authenticator vouched for it. One shape for every way in — a browser session, a JWT
 * access token, an API key — so routes, step-up checks and authorization never care which one it was.
 */

/** How the request was authenticated. */
export type IdentitySource = 'session' | 'access_token' | 'api_key';

/**
 * Authentication method references (RFC 8176 §2): `pwd` password, `otp` one-time code (TOTP), `kba` backup code
 * (knowledge-based, single use), `hwk`/`swk` proof of possession of a hardware/software key (a passkey), `user`
 * user presence/verification on the authenticator, `mfa` more than one factor.
 */
export type AuthMethod = 'pwd' | 'otp' | 'kba' | 'hwk' | 'swk' | 'user' | 'mfa';

/** The authenticated caller of one request. Immutable; built by an {@link Authenticator}. */
export interface Identity {
  /** The account (`rampart_users.id`); for an API key, the account that owns the key. */
  readonly userId: string;
  readonly source: IdentitySource;
  /** RFC 8176 methods of the authentication behind this identity (for an API key: empty). */
  readonly amr: readonly AuthMethod[];
  /** When the user last authenticated interactively with the password or a passkey (epoch ms). */
  readonly authTime: number;
  /**
   * When the user last proved *every* factor the account requires (epoch ms): set by a complete login and by a
   * step-up. Sensitive operations compare it with the clock (`requireStepUp`). Absent for API keys, which never count
   * as a recent authentication.
   */
  readonly fullyAuthenticatedAt?: number;
  /** Scopes the credential is narrowed to (tokens, API keys); absent for a first-party browser session (no narrowing). */
  readonly scopes?: readonly string[];
  /** The browser session's public handle (never its id), when `source` is `session`. */
  readonly sessionHandle?: string;
  /** The API key's id, when `source` is `api_key`. */
  readonly apiKeyId?: string;
  /** The access token's `jti`, when `source` is `access_token`. */
  readonly tokenId?: string;
}
