import type { JwtClaims } from '../jwt/claims.js';

/** How the client proved it may use the token: not at all (`bearer`), a DPoP proof, or its TLS client certificate. */
export type TokenConfirmation = 'bearer' | 'dpop' | 'mtls';

/** The caller of a protected resource, as its verified access token describes it. Deep-frozen. */
export interface AccessTokenPrincipal {
  /** `sub`: the resource owner, or the client itself for a client-credentials token. */
  readonly subject: string;
  /** `client_id`: the OAuth client the token was issued to (RFC 9068 §2.2). */
  readonly clientId: string;
  /** Granted scopes, from `scope` and `scp`, without duplicates. */
  readonly scopes: readonly string[];
  /** `aud`, as a list. */
  readonly audience: readonly string[];
  readonly issuer: string;
  /** `jti`. */
  readonly tokenId: string;
  /** `exp`, in seconds since the epoch. */
  readonly expiresAt: number;
  /** Every claim of the token, for what the fields above do not cover (`acr`, `auth_time`, custom claims). */
  readonly claims: JwtClaims;
  /**
   * The binding that was checked. A token bound both ways (a `cnf` with `jkt` and `x5t#S256`) has both checked and
   * reports `dpop`.
   */
  readonly confirmation: TokenConfirmation;
}
