import type { Clock } from '@rampart/core';
import { Authorizer, compilePolicies, decisionAuditAttributes } from '@rampart/core/authz';
import { problem } from '@rampart/core/http';
import { ProblemError } from '@rampart/fastify';
import type { FastifyRequest } from 'fastify';
import { requireIdentity, requireStepUp } from '../auth/guards.js';
import type { Identity } from '../auth/identity.js';
import type { RoleBindings } from './bindings.js';
import type { EmitEvent } from './events.js';
import { clientIp, correlationId } from './http.js';

/** The role that administers the server itself; bound globally (`rampart admin create`, `grantAdmin`). */
export const ADMIN_ROLE = 'admin';
/** The token scope an access token needs, besides the role, to call the admin routes. */
export const ADMIN_SCOPE = 'rampart:admin';

/** What an admin route does: `read` (lists) or `write` (changes, which also need a recent step-up). */
export type AdminAction = 'read' | 'write';

/*
 * The server's own policy, compiled once from this constant and never from the database: the policies administrators
 * edit decide for *other* services, and no edit of theirs (a broken document, a rule granting `rampart_admin`) may
 * lock administrators out of the policy routes or hand someone the administration.
 */
const SERVER_POLICY = `
apiVersion: rampart.authz/v1
name: rampart-server
version: "1"
roles:
  ${ADMIN_ROLE}:
    global: true
    permissions: ["rampart_admin:*"]
scopes:
  "${ADMIN_SCOPE}": ["rampart_admin:*"]
resources:
  rampart_admin:
    actions: [read, write]
`;

const FORBIDDEN = problem(403, 'forbidden', 'Forbidden', {
  code: 'authz.admin_required',
  detail: 'This operation needs the administrator role.',
});

/** Checks a request against the server's administration policy. */
export type RequireAdmin = (request: FastifyRequest, action?: AdminAction) => Promise<Identity>;

/**
 * Builds `requireAdmin(request, action)`: the caller must be a person (a session or an access token, never an API
 * key), hold the global `admin` binding — checked by core's authorizer on the built-in policy, so the decision and
 * its reason reach the audit trail like any other — and, for `write`, have completed a step-up within 10 minutes.
 * Denials are `403 authz.admin_required` (the admin routes are documented; hiding them behind 404 would hide nothing)
 * and `authz.denied` events.
 *
 * Protects against broken function-level authorization (OWASP API5): a signed-in user, or a machine key, calling an
 * administrative route; and against a stolen session changing policies or roles without proving the factors again.
 */
export function adminGuard(bindings: RoleBindings, emit: EmitEvent, clock: Clock): RequireAdmin {
  const authorizer = new Authorizer(compilePolicies([{ source: 'rampart-server.yaml', text: SERVER_POLICY }]), { clock });
  return async (request, action = 'read') => {
    const identity = requireIdentity(request, ['session', 'access_token']);
    const principal = await bindings.principal(identity.userId);
    const decision = authorizer.check(
      principal,
      action,
      { kind: 'rampart_admin' },
      identity.scopes === undefined ? {} : { scopes: identity.scopes },
    );
    const facts = { ...decisionAuditAttributes(decision), action, resourceKind: 'rampart_admin', route: request.routeOptions.url ?? '', clientIp: clientIp(request), correlationId: correlationId(request) };
    if (!decision.allowed) {
      emit('authz.denied', identity.userId, facts);
      throw new ProblemError(FORBIDDEN);
    }
    if (action === 'write') requireStepUp(request, { clock });
    return identity;
  };
}
