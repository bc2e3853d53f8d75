import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import {
  correlationIdFrom,
  routeAuthorization,
  type AuthorizeOptions,
  type AuthorizerSource,
  type ResourceLoader,
} from '@rampart/core/http';
import { sendProblem } from './problem.js';

function correlationIdOf(request: FastifyRequest): string {
  const traceparent = request.headers.traceparent;
  return request.rampart?.correlationId ?? correlationIdFrom(typeof traceparent === 'string' ? traceparent : undefined);
}

/**
 * Route-level authorization as a Fastify `preHandler` (after the body is parsed, so `fields` can read it):
 * `app.patch('/documents/:id', { preHandler: authorize(authz, 'update', loadDocument) }, handler)`.
 * Checks the chain's principal ({@link AUTHZ_PRINCIPAL}) against the policy and lets the handler run only when
 * allowed; the decision and resource are then in `request.rampart.get(AUTHZ_DECISION | AUTHZ_RESOURCE)`.
 *
 * Protects against OWASP API1 (another user's or tenant's object by id: 404, the same answer as a missing id), API5
 * (an action no rule grants: 403) and API3 with `fields`. Fails closed: no principal → 401, a throwing loader → 500,
 * the Rampart plugin not registered in the route's scope → 500. The reason goes to the `authz.denied` event only.
 */
export function authorize(
  authorizer: AuthorizerSource,
  action: string,
  loadResource: ResourceLoader<FastifyRequest>,
  options: AuthorizeOptions<FastifyRequest> = {},
): preHandlerAsyncHookHandler {
  const route = routeAuthorization(authorizer, action, loadResource, options);
  return async function rampartAuthorize(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const outcome = await route.run(request, request.rampart ?? undefined);
    // An async hook that sent the reply ends the lifecycle: the handler does not run.
    if (!outcome.allowed) await sendProblem(reply, outcome.problem, correlationIdOf(request));
  };
}
