// @rampart/express: Rampart's guard chain for Express 5. See README.md.
export { rampart, type RampartChainOptions, type RampartOptions } from './middleware.js';
export { rampartErrors, type RampartErrorsOptions } from './errors.js';
export { rampartForm, rampartJson } from './body.js';
export type { FormBodyOptions, JsonBodyOptions } from '@rampart/core/http';
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
