import type { LoginFlow, SecondFactors, TokenIssuer } from '../auth/contracts.js';
import type { ServerContext } from '../context.js';

/** What the login module needs from the others. */
export interface LoginDeps {
  readonly factors: SecondFactors;
  readonly tokens: TokenIssuer;
}

/** What the login module gives the server. */
export interface LoginModule {
  readonly flow: LoginFlow;
}

/** Builds the login module and registers its routes. */
export function createLoginModule(_ctx: ServerContext, _deps: LoginDeps): Promise<LoginModule> {
  const notYet = (): never => {
    throw new Error('login: not implemented yet');
  };
  return Promise.resolve({
    flow: { attempt: () => Promise.resolve(undefined), completeSecondFactor: () => Promise.resolve(notYet()), completeWithoutPassword: () => Promise.resolve(notYet()) },
  });
}
