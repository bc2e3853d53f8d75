import { createHash } from 'node:crypto';
import { randomToken } from '@rampart/core/crypto';

/** What a one-time token may be used for; a token issued for one purpose never matches another. */
export type TokenPurpose = 'verify_email' | 'password_reset';

/** A token as mailed (`token`) and as stored (`hash`). */
export interface IssuedToken {
  readonly token: string;
  readonly hash: string;
}

/** The shape of every token this module issues: 32 random bytes, base64url without padding. */
export const TOKEN_PATTERN = '^[A-Za-z0-9_-]{43}$';

/**
 * The stored form of a token: hex SHA-256 over the purpose and the token. A 256-bit random token needs no slow hash
 * or key (nothing to brute-force), and hashing keeps a leaked table, backup or replica from yielding working links.
 * The purpose is inside the digest, so a verification token presented to the reset endpoint matches no row at all.
 */
export function tokenHash(purpose: TokenPurpose, token: string): string {
  return createHash('sha256').update(`rampart-account-token:${purpose}:${token}`).digest('hex');
}

/** A new token for `purpose` (256 bits from the OS CSPRNG), with its stored form. */
export function issueToken(purpose: TokenPurpose): IssuedToken {
  const token = randomToken(32);
  return { token, hash: tokenHash(purpose, token) };
}
