import { createHash } from 'node:crypto';
import { randomToken } from '@rampart/core/crypto';

/** The shape of a login token: 32 random bytes, base64url without padding. */
export const LOGIN_TOKEN_PATTERN = '^[A-Za-z0-9_-]{43}$';

/** A login token as handed to the client (`token`) and as stored (`hash`). */
export interface IssuedLoginToken {
  readonly token: string;
  readonly hash: string;
}

/**
 * The stored form of a login token: hex SHA-256 of a purpose prefix and the token. 256 random bits need no slow hash
 * (nothing to guess); hashing keeps a leaked table, backup or replica from yielding a token that skips the password.
 * The prefix keeps the digest distinct from every other token digest the server stores.
 */
export function loginTokenHash(token: string): string {
  return createHash('sha256').update(`rampart-login-token:${token}`).digest('hex');
}

/** A new login token (256 bits from the OS CSPRNG) with its stored form. */
export function issueLoginToken(): IssuedLoginToken {
  const token = randomToken(32);
  return { token, hash: loginTokenHash(token) };
}
