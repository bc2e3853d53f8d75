import { problem } from '@rampart/core/http';
import { compile, Type } from '@rampart/core/validate';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ADMIN_ROLE, type RequireAdmin } from './admin.js';
import { MAX_BINDINGS_PER_USER, ROLE_PATTERN, TENANT_PATTERN, type BindingScope, type RoleBinding, type RoleBindings } from './bindings.js';
import type { EmitEvent } from './events.js';
import { correlationId, sendJson, sendProblem } from './http.js';
import { documented, responses } from '../openapi/schemas.js';

const USER_ID = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
const userParams = compile(Type.Object({ userId: USER_ID }));
const tenantParams = compile(Type.Object({ userId: USER_ID, tenant: Type.String({ pattern: TENANT_PATTERN }), role: Type.String({ pattern: ROLE_PATTERN }) }));
const globalParams = compile(Type.Object({ userId: USER_ID, role: Type.String({ pattern: ROLE_PATTERN }) }));

const USER_NOT_FOUND = problem(404, 'not-found', 'Not Found', { code: 'authz.user_not_found', detail: 'No such account.' });
const BINDING_NOT_FOUND = problem(404, 'not-found', 'Not Found', { code: 'authz.binding_not_found', detail: 'No such role binding.' });
const INVALID_PATH = problem(400, 'binding-invalid', 'Bad Request', {
  code: 'authz.binding_invalid',
  detail: 'Tenants match [A-Za-z0-9][A-Za-z0-9_.:-]{0,127}; roles [A-Za-z][A-Za-z0-9_.:-]{0,63}; account ids [A-Za-z0-9_-]{1,64}.',
});

function bindingView(binding: RoleBinding): Record<string, unknown> {
  return {
    role: binding.role,
    tenant: binding.tenant ?? null,
    global: binding.global,
    createdAt: new Date(binding.createdAt).toISOString(),
    createdBy: binding.createdBy ?? null,
  };
}

function scopeAttributes(scope: BindingScope): Record<string, string | boolean> {
  return 'global' in scope ? { global: true } : { tenant: scope.tenant };
}

/** What the role-binding routes need. */
export interface RoleBindingRouteDeps {
  readonly bindings: RoleBindings;
  readonly requireAdmin: RequireAdmin;
  readonly emit: EmitEvent;
}

/**
 * Adds the role-binding administration routes (all need the administrator role; changes need a step-up):
 *
 * - `GET /v1/admin/role-bindings/:userId` → the account's bindings;
 * - `PUT /v1/admin/role-bindings/:userId/tenants/:tenant/:role` and `PUT /v1/admin/role-bindings/:userId/global/:role`
 *   → `201` when bound, `200` when it already was (idempotent);
 * - `DELETE` on the same paths → `204`, or `404` when there was no such binding.
 *
 * Protects against: privilege escalation by non-administrators (OWASP API5); unaudited grants (`authz.role.granted` /
 * `authz.role.revoked` with the administrator as `grantedBy`/`revokedBy`); the server losing its last administrator
 * (`409 authz.last_admin`, checked in the same transaction as the delete); names that could be read as something else
 * (closed patterns for tenants and roles; `*` is never a tenant).
 */
export function registerRoleBindingRoutes(app: FastifyInstance, deps: RoleBindingRouteDeps): void {
  const { bindings, requireAdmin, emit } = deps;

  app.get('/v1/admin/role-bindings/:userId', documented({ tags: ['admin'], summary: 'A user\'s role bindings (admin)', security: ['session', 'bearer'], params: userParams, responses: responses({}, 401, 403) }), async (request, reply) => {
    await requireAdmin(request, 'read');
    const params = userParams.check(request.params);
    if (!params.ok) return sendProblem(request, reply, INVALID_PATH);
    const list = await bindings.forUser(params.value.userId);
    return sendJson(reply, 200, { userId: params.value.userId, bindings: list.map(bindingView) });
  });

  const grant = async (request: FastifyRequest, reply: FastifyReply, userId: string, role: string, scope: BindingScope): Promise<FastifyReply> => {
    const admin = await requireAdmin(request, 'write');
    const outcome = await bindings.grant(userId, role, scope, admin.userId);
    if (outcome === 'unknown_user') return sendProblem(request, reply, USER_NOT_FOUND);
    if (outcome === 'limit') {
      return sendProblem(request, reply, problem(409, 'binding-limit', 'Conflict', { code: 'authz.binding_limit', detail: `An account may hold at most ${MAX_BINDINGS_PER_USER} role bindings.` }));
    }
    if (outcome === 'granted') emit('authz.role.granted', userId, { role, ...scopeAttributes(scope), grantedBy: admin.userId, correlationId: correlationId(request) });
    return sendJson(reply, outcome === 'granted' ? 201 : 200, { userId, role, ...('global' in scope ? { tenant: null, global: true } : { tenant: scope.tenant, global: false }) });
  };

  const revoke = async (request: FastifyRequest, reply: FastifyReply, userId: string, role: string, scope: BindingScope): Promise<FastifyReply> => {
    const admin = await requireAdmin(request, 'write');
    const outcome = await bindings.revoke(userId, role, scope, ADMIN_ROLE);
    if (outcome === 'absent') return sendProblem(request, reply, BINDING_NOT_FOUND);
    if (outcome === 'last_holder') {
      return sendProblem(request, reply, problem(409, 'last-admin', 'Conflict', { code: 'authz.last_admin', detail: 'This is the last administrator: grant the role to another account first.' }));
    }
    emit('authz.role.revoked', userId, { role, ...scopeAttributes(scope), revokedBy: admin.userId, correlationId: correlationId(request) });
    return reply.code(204).header('cache-control', 'no-store').send();
  };

  app.put('/v1/admin/role-bindings/:userId/tenants/:tenant/:role', documented({ tags: ['admin'], summary: 'Bind a role in a tenant (admin, step-up)', security: ['session', 'bearer'], params: tenantParams, responses: responses({}, 401, 403, 404) }), async (request, reply) => {
    const params = tenantParams.check(request.params);
    if (!params.ok) {
      await requireAdmin(request, 'write');
      return sendProblem(request, reply, INVALID_PATH);
    }
    return grant(request, reply, params.value.userId, params.value.role, { tenant: params.value.tenant });
  });
  app.put('/v1/admin/role-bindings/:userId/global/:role', documented({ tags: ['admin'], summary: 'Bind a role in every tenant (admin, step-up)', security: ['session', 'bearer'], params: globalParams, responses: responses({}, 401, 403, 404) }), async (request, reply) => {
    const params = globalParams.check(request.params);
    if (!params.ok) {
      await requireAdmin(request, 'write');
      return sendProblem(request, reply, INVALID_PATH);
    }
    return grant(request, reply, params.value.userId, params.value.role, { global: true });
  });
  app.delete('/v1/admin/role-bindings/:userId/tenants/:tenant/:role', documented({ tags: ['admin'], summary: 'Remove a tenant role binding (admin, step-up)', security: ['session', 'bearer'], params: tenantParams, responses: responses({}, 401, 403, 404) }), async (request, reply) => {
    const params = tenantParams.check(request.params);
    if (!params.ok) {
      await requireAdmin(request, 'write');
      return sendProblem(request, reply, INVALID_PATH);
    }
    return revoke(request, reply, params.value.userId, params.value.role, { tenant: params.value.tenant });
  });
  app.delete('/v1/admin/role-bindings/:userId/global/:role', documented({ tags: ['admin'], summary: 'Remove a global role binding; the last admin cannot be removed (admin, step-up)', security: ['session', 'bearer'], params: globalParams, responses: responses({}, 401, 403, 404, 409) }), async (request, reply) => {
    const params = globalParams.check(request.params);
    if (!params.ok) {
      await requireAdmin(request, 'write');
      return sendProblem(request, reply, INVALID_PATH);
    }
    return revoke(request, reply, params.value.userId, params.value.role, { global: true });
  });
}
