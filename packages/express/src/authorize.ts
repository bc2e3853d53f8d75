import type { Request, RequestHandler } from 'express';
import {
  routeAuthorization,
  type AuthorizeOptions,
  type AuthorizerSource,
  type ResourceLoader,
} from '@rampart/core/http';
import { correlationIdOf, sendProblem } from './problem.js';

/**
 * Route-level authorization middleware: `app.patch('/documents/:id', authorize(authz, 'update', loadDocument), handler)`.
 * Loads the resource, checks the chain's principal ({@link AUTHZ_PRINCIPAL}) against the policy and lets the handler
 * run only when allowed; the decision and resource are then in `res.locals.rampart.get(AUTHZ_DECISION | AUTHZ_RESOURCE)`.
 *
 * Protects against OWASP API1 (another user's or tenant's object by id: 404, the same answer as a missing id), API5
 * (an action no rule grants: 403) and API3 with `fields`. Fails closed: no principal → 401, a throwing loader → 500,
 * `rampart()` not in front → 500. The reason goes to the `authz.denied` event, never to the client.
 */
export function authorize(
  authorizer: AuthorizerSource,
  action: string,
  loadResource: ResourceLoader<Request>,
  options: AuthorizeOptions<Request> = {},
): RequestHandler {
  const route = routeAuthorization(authorizer, action, loadResource, options);
  return function rampartAuthorize(req, res, next) {
    return route.run(req, res.locals.rampart).then((outcome) => {
      if (outcome.allowed) next();
      else sendProblem(res, outcome.problem, correlationIdOf(req, res));
    });
  };
}
