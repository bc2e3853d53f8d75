import type { Context, MiddlewareHandler } from 'hono';
import {
  routeAuthorization,
  type AuthorizeOptions,
  type AuthorizerSource,
  type ResourceLoader,
} from '@rampart/core/http';
import { correlationIdOf } from './correlation.js';
import type { RampartEnv } from './env.js';
import { problemResponse } from './problem.js';

/**
 * Route-level authorization middleware: `app.patch('/documents/:id', rampartJson(), authorize(authz, 'update',
 * loadDocument), handler)`. Checks the chain's principal ({@link AUTHZ_PRINCIPAL}) against the policy and lets the
 * handler run only when allowed; the decision and resource are then in `c.get('rampart').get(AUTHZ_DECISION | …)`.
 *
 * Protects against OWASP API1 (another user's or tenant's object by id: 404, the same answer as a missing id), API5
 * (an action no rule grants: 403) and API3 with `fields`. Fails closed: no principal → 401, a throwing loader → 500,
 * `rampart()` not in front → 500. The reason goes to the `authz.denied` event, never to the client.
 */
export function authorize(
  authorizer: AuthorizerSource,
  action: string,
  loadResource: ResourceLoader<Context<RampartEnv>>,
  options: AuthorizeOptions<Context<RampartEnv>> = {},
): MiddlewareHandler<RampartEnv> {
  const route = routeAuthorization(authorizer, action, loadResource, options);
  return async function rampartAuthorize(c, next) {
    // Typed as always set, but the middleware may be mounted without `rampart()` in front of it.
    const state = c.get('rampart') as RampartEnv['Variables']['rampart'] | undefined;
    const outcome = await route.run(c, state);
    if (!outcome.allowed) return problemResponse(c, outcome.problem, correlationIdOf(c));
    await next();
    return undefined;
  };
}
