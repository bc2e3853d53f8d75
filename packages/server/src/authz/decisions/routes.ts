import type { Clock } from '@rampart/core';
import type { Attributes, CheckContext, Decision, Explanation, Principal, Resource } from '@rampart/core/authz';
import { problem } from '@rampart/core/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireIdentity } from '../../auth/guards.js';
import type { Identity } from '../../auth/identity.js';
import type { ApiKeyScope } from '../api-keys/keys.js';
import { correlationId, sendJson, sendProblem, validated } from '../http.js';
import type { ActivePolicy, PolicySnapshot } from '../policies/active.js';
import { DecisionAudit, type DecisionFact } from './audit.js';
import { batchRequest, checkRequest, type CheckInput } from './schema.js';
import { documented, responses } from '../../openapi/schemas.js';

function insufficientScope(scope: ApiKeyScope) {
  return problem(403, 'insufficient-scope', 'Forbidden', {
    code: 'authz.scope_required',
    detail: `This API key lacks the scope ${scope}.`,
    // RFC 6750 §3.1: the scope the request needed.
    headers: { 'www-authenticate': `Bearer realm="rampart", error="insufficient_scope", scope="${scope}"` },
  });
}

const ACTION_OR_ACTIONS = problem(400, 'check-invalid', 'Bad Request', {
  code: 'authz.check_invalid',
  detail: 'Give exactly one of action and actions in each check.',
});

function actionsOf(check: CheckInput): readonly string[] | undefined {
  if (check.action !== undefined && check.actions === undefined) return [check.action];
  if (check.action === undefined && check.actions !== undefined) return check.actions;
  return undefined;
}

function principalOf(check: CheckInput): Principal {
  const p = check.principal;
  return {
    id: p.id,
    ...(p.roles === undefined ? {} : { roles: p.roles }),
    ...(p.tenant === undefined ? {} : { tenant: p.tenant }),
    ...(p.tenantRoles === undefined ? {} : { tenantRoles: p.tenantRoles }),
    ...(p.globalRoles === undefined ? {} : { globalRoles: p.globalRoles }),
    ...(p.attributes === undefined ? {} : { attributes: p.attributes as Attributes }),
  };
}

function resourceOf(check: CheckInput): Resource {
  const r = check.resource;
  return {
    kind: r.kind,
    ...(r.id === undefined ? {} : { id: r.id }),
    ...(r.owner === undefined ? {} : { owner: r.owner }),
    ...(r.tenant === undefined ? {} : { tenant: r.tenant }),
    ...(r.attributes === undefined ? {} : { attributes: r.attributes as Attributes }),
  };
}

function contextOf(check: CheckInput, clock: Clock): CheckContext {
  const c = check.context ?? {};
  return {
    time: c.time === undefined ? new Date(clock.now()) : new Date(c.time),
    ...(c.fields === undefined ? {} : { fields: c.fields }),
    ...(c.clientIp === undefined ? {} : { clientIp: c.clientIp }),
    ...(c.mfa === undefined ? {} : { mfa: c.mfa }),
    ...(c.aal === undefined ? {} : { aal: c.aal }),
    ...(c.scopes === undefined ? {} : { scopes: c.scopes }),
  };
}

/** A decision as the API answers it: the outcome and what decided it, never an internal error's message. */
function decisionView(action: string, decision: Decision): Record<string, unknown> {
  return {
    action,
    allowed: decision.allowed,
    reason: decision.reason,
    policy: decision.policy ?? null,
    rule: decision.rule ?? null,
    ...(decision.field === undefined ? {} : { field: decision.field }),
    ...(decision.error === undefined ? {} : { errorCode: decision.error.code }),
  };
}

function explanationView(explanation: Explanation): Record<string, unknown> {
  return {
    action: explanation.action,
    kind: explanation.kind,
    boundRoles: explanation.boundRoles,
    effectiveRoles: explanation.effectiveRoles,
    derivedRoles: explanation.derivedRoles.map((d) => ({ name: d.name, outcome: d.outcome, ...(d.error === undefined ? {} : { errorCode: d.error.code }) })),
    scopes: explanation.scopes,
    rules: explanation.rules.map((r) => ({
      rule: r.rule,
      policy: r.policy,
      effect: r.effect,
      decisive: r.decisive,
      roleMatch: r.roleMatch,
      matchedRole: r.matchedRole ?? null,
      fields: r.fields,
      condition: r.condition,
      matched: r.matched,
      ...(r.error === undefined ? {} : { errorCode: r.error.code }),
    })),
  };
}

interface Evaluated {
  readonly decisions: Record<string, unknown>[];
  readonly facts: DecisionFact[];
}

/** Every action of one check, on one snapshot. */
function evaluate(snapshot: PolicySnapshot, check: CheckInput, actions: readonly string[], clock: Clock): Evaluated {
  const principal = principalOf(check);
  const resource = resourceOf(check);
  const context = contextOf(check, clock);
  const decisions: Record<string, unknown>[] = [];
  const facts: DecisionFact[] = [];
  for (const action of actions) {
    const decision = snapshot.authorizer.check(principal, action, resource, context);
    decisions.push(decisionView(action, decision));
    facts.push({ principalId: principal.id, action, resourceKind: resource.kind, resourceId: resource.id, tenant: resource.tenant, decision });
  }
  return { decisions, facts };
}

/** What the decision routes need. */
export interface DecisionRouteDeps {
  readonly active: ActivePolicy;
  readonly audit: DecisionAudit;
  readonly clock: Clock;
}

/**
 * Adds the decision API: `POST /v1/authz/check` (one principal, one resource, one or several actions; optionally the
 * explanation) and `POST /v1/authz/check/batch` (up to 100 checks). Callers are services with an API key holding
 * `authz:check` (`authz:check:batch` for the batch, `authz:explain` for explanations); a session or a user's access
 * token is refused (`403 auth.credential_not_allowed`).
 *
 * Protects against: a user's browser or token querying the policy about anyone (broken function-level authorization);
 * keys used beyond their purpose (scopes, `403 authz.scope_required`); malformed or oversized input changing or
 * stalling a decision (closed schemas, bounded lists and attributes, ≤ 20 actions per check, ≤ 100 checks per batch,
 * then core's own input and condition bounds; a condition that cannot be evaluated is a deny); half-old, half-new
 * policy answers during a reload (every decision of a request comes from one snapshot and names its version).
 */
export function registerDecisionRoutes(app: FastifyInstance, deps: DecisionRouteDeps): void {
  const { active, audit, clock } = deps;

  const caller = (request: FastifyRequest, reply: FastifyReply, scope: ApiKeyScope): Identity | undefined => {
    const identity = requireIdentity(request, ['api_key']);
    if (identity.scopes?.includes(scope) === true) return identity;
    void sendProblem(request, reply, insufficientScope(scope));
    return undefined;
  };

  app.post('/v1/authz/check', documented({ tags: ['authz'], summary: 'One authorization decision (API key with scope authz:check)', security: ['apiKey'], body: checkRequest, responses: responses({}, 400, 401, 403, 429) }), async (request, reply) => {
    const identity = caller(request, reply, 'authz:check');
    if (identity === undefined) return reply;
    const body = validated(checkRequest, request.body, request, reply);
    if (body === undefined) return reply;
    const actions = actionsOf(body);
    if (actions === undefined) return sendProblem(request, reply, ACTION_OR_ACTIONS);
    if (body.explain === true && identity.scopes?.includes('authz:explain') !== true) return sendProblem(request, reply, insufficientScope('authz:explain'));
    // One snapshot per request: every decision of it comes from the same policy version.
    const snapshot = active.snapshot;
    const { decisions, facts } = evaluate(snapshot, body, actions, clock);
    audit.record({ apiKeyId: identity.apiKeyId ?? '', userId: identity.userId, correlationId: correlationId(request) }, facts);
    const explanations =
      body.explain === true ? actions.map((action) => explanationView(snapshot.authorizer.explain(principalOf(body), action, resourceOf(body), contextOf(body, clock)))) : undefined;
    return sendJson(reply, 200, {
      version: snapshot.version,
      policyVersion: snapshot.authorizer.policies.version,
      decisions,
      ...(explanations === undefined ? {} : { explanations }),
    });
  });

  app.post('/v1/authz/check/batch', documented({ tags: ['authz'], summary: 'Up to 100 decisions from one policy snapshot (scope authz:check:batch)', security: ['apiKey'], body: batchRequest, responses: responses({}, 400, 401, 403, 429) }), async (request, reply) => {
    const identity = caller(request, reply, 'authz:check:batch');
    if (identity === undefined) return reply;
    const body = validated(batchRequest, request.body, request, reply);
    if (body === undefined) return reply;
    const planned: { id: string | undefined; check: CheckInput; actions: readonly string[] }[] = [];
    for (const [index, check] of body.checks.entries()) {
      const actions = actionsOf(check);
      if (actions === undefined) return sendProblem(request, reply, ACTION_OR_ACTIONS, { check: index });
      planned.push({ id: check.id, check, actions });
    }
    const snapshot = active.snapshot;
    const facts: DecisionFact[] = [];
    const results = planned.map(({ id, check, actions }) => {
      const evaluated = evaluate(snapshot, check, actions, clock);
      facts.push(...evaluated.facts);
      return { ...(id === undefined ? {} : { id }), decisions: evaluated.decisions };
    });
    audit.record({ apiKeyId: identity.apiKeyId ?? '', userId: identity.userId, correlationId: correlationId(request) }, facts);
    return sendJson(reply, 200, { version: snapshot.version, policyVersion: snapshot.authorizer.policies.version, results });
  });
}
