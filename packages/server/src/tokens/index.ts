import type { Authenticator } from '../auth/authenticate.js';
import type { TokenIssuer } from '../auth/contracts.js';
import type { ServerContext } from '../context.js';

/** What the token module gives the server. */
export interface TokenModule {
  /** Mints access + refresh tokens for completed logins. */
  readonly issuer: TokenIssuer;
  /** Authenticates `Authorization: Bearer <access token>`. */
  readonly authenticator: Authenticator;
}

/** Builds the token module and registers its routes. */
export function createTokenModule(_ctx: ServerContext): Promise<TokenModule> {
  const notYet = (): never => {
    throw new Error('tokens: not implemented yet');
  };
  return Promise.resolve({
    issuer: { issue: () => Promise.resolve(notYet()), revokeUser: () => Promise.resolve(0) },
    authenticator: { name: 'bearer', authenticate: () => Promise.resolve({ kind: 'absent' }) },
  });
}
