import type { FastifyInstance } from 'fastify';
import type { OAuthModule } from './index.js';

/*
 * The OAuth module of each server, for the pages that use it (the account's "Connected apps"). Kept apart from
 * `index.ts` so that importing the pages does not load oidc-provider: `createServer` loads it (a dynamic import), not
 * every `rampart` command.
 */
const registered = new WeakMap<FastifyInstance, OAuthModule>();

/** Records `module` as the OAuth module of `app`. */
export function registerOAuthModule(app: FastifyInstance, module: OAuthModule): void {
  registered.set(app, module);
}

/** The OAuth module registered on `app` (for the interaction and consent pages). Throws when there is none. */
export function oauthModuleOf(app: FastifyInstance): OAuthModule {
  const module = registered.get(app);
  if (module === undefined) throw new Error('the OAuth module is not registered on this server');
  return module;
}
