// @rampart/hono: Rampart's guard chain as Hono 4 middleware. See README.md.
export {
  rampart,
  rampartOnError,
  type RampartChainOptions,
  type RampartConnectionOptions,
  type RampartHonoOptions,
  type RampartOnErrorOptions,
} from './middleware.js';
export { rampartForm, rampartJson } from './body.js';
export type { FormBodyOptions, JsonBodyOptions } from '@rampart/core/http';
export type { RampartEnv, RampartVariables } from './env.js';
export { parseForm, ProblemError, problemForError, RampartState, type FormFields, type FormRefusal } from '@rampart/core/http';
export { problemResponse } from './problem.js';
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
export { requireAccessToken, type AccessTokenEnv, type AccessTokenVariables, type RequireAccessTokenOptions } from './access-token.js';
export {
  ACCESS_TOKEN,
  createResourceServer,
  type AccessTokenPrincipal,
  type AccessTokenRouteOptions,
  type ResourceServer,
  type ResourceServerOptions,
} from '@rampart/core/token';
