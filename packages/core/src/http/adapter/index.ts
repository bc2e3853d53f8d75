/**
 * What every framework adapter shares: the per-request state handed to handlers, the form parser, and the mapping of
 * thrown errors to problems. Kept in core so that the adapters stay thin and identical in behaviour.
 */
export { RampartState, type CookieAppender } from './state.js';
export { DEFAULT_MAX_FORM_FIELDS, formProblem, parseForm, type FormFields, type FormRefusal } from './form.js';
export { ProblemError, problemForError } from './errors.js';
export {
  isUrlencoded,
  jsonBodyReader,
  readFormBody,
  type BodyOutcome,
  type FormBodyOptions,
  type JsonBodyOptions,
  type JsonBodyReader,
} from './body.js';
export {
  AUTHZ_AUTHENTICATION,
  AUTHZ_DECISION,
  AUTHZ_PRINCIPAL,
  AUTHZ_RESOURCE,
  RESOURCE_NOT_FOUND,
  routeAuthorization,
  type AuthenticationFacts,
  type AuthorizeOptions,
  type AuthorizeOutcome,
  type AuthorizerSource,
  type ResourceLoader,
  type RouteAuthorization,
} from './authorize.js';
