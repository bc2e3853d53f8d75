// @rampart/fastify: Rampart's guard chain as a Fastify 5 plugin. See README.md.
export { rampart, type RampartChainOptions, type RampartFastifyOptions, type RampartPluginOptions } from './plugin.js';
export type { BodyOptions } from './body.js';
export { parseForm, ProblemError, problemForError, RampartState, type FormFields, type FormRefusal } from '@rampart/core/http';
export { sendProblem } from './problem.js';
export { authorize } from './authorize.js';
export {
  AUTHZ_AUTHENTICATION,
  AUTHZ_DECISION,
  AUTHZ_PRINCIPAL,
  AUTHZ_RESOURCE,
  type AuthenticationFacts,
  type AuthorizeOptions,
  type AuthorizerSource,
  type ResourceLoader,
} from '@rampart/core/http';
export { requireAccessToken, type RequireAccessTokenOptions } from './access-token.js';
export {
  ACCESS_TOKEN,
  createResourceServer,
  type AccessTokenPrincipal,
  type AccessTokenRouteOptions,
  type ResourceServer,
  type ResourceServerOptions,
} from '@rampart/core/token';
