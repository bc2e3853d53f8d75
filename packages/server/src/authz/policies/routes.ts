import { problem } from '@rampart/core/http';
import { compile, Type } from '@rampart/core/validate';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RequireAdmin } from '../admin.js';
import type { EmitEvent } from '../events.js';
import { correlationId, sendJson, sendProblem, validated } from '../http.js';
import type { ActivePolicy } from './active.js';
import { entityTag, type ActiveMarker, type PolicyRepository, type StoredPolicy } from './repository.js';
import { compileDocument, type PolicyIssue } from './validate.js';
import { documented, responses } from '../../openapi/schemas.js';

/** Longest document accepted, in UTF-16 units; the server's 64 KiB body limit bounds it first. */
const MAX_DOCUMENT = 60_000;
/** Versions listed by `GET /v1/admin/policies`. */
const HISTORY = 50;

const documentBody = compile(
  Type.Object({
    document: Type.String({ minLength: 1, maxLength: MAX_DOCUMENT }),
    format: Type.Optional(Type.Union([Type.Literal('yaml'), Type.Literal('json')])),
  }),
);
const versionParams = compile(Type.Object({ version: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }), { coerceFromStrings: true });

const PRECONDITION_REQUIRED = problem(428, 'precondition-required', 'Precondition Required', {
  code: 'authz.policy_precondition_required',
  detail: 'Send If-Match with the ETag of GET /v1/admin/policies, so a concurrent change is not overwritten.',
});
const BAD_PRECONDITION = problem(400, 'bad-precondition', 'Bad Request', { code: 'authz.policy_precondition_invalid', detail: 'If-Match must be one ETag of GET /v1/admin/policies.' });
const NOT_FOUND = problem(404, 'not-found', 'Not Found', { code: 'authz.policy_not_found', detail: 'No such policy version.' });

/**
 * The path parameters as a plain object: Fastify hands them over as an instance of its own null-prototype class,
 * which string coercion (for `:version`) does not treat as a plain JSON object.
 */
function pathParameters(request: FastifyRequest): Record<string, unknown> {
  return { ...(request.params as Record<string, unknown>) };
}

/** `"<version>.<activation>"` → the marker; `undefined` when absent; `null` when malformed (including `*` and lists). */
function ifMatch(request: FastifyRequest): ActiveMarker | undefined | null {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const match = /^\s*"([1-9][0-9]{0,9})\.([1-9][0-9]{0,14})"\s*$/.exec(header);
  if (match?.[1] === undefined || match[2] === undefined) return null;
  return { version: Number(match[1]), activation: Number(match[2]) };
}

function conflict(request: FastifyRequest, reply: FastifyReply, current: ActiveMarker | undefined): FastifyReply {
  if (current !== undefined) void reply.header('etag', entityTag(current));
  return sendProblem(
    request,
    reply,
    problem(412, 'policy-conflict', 'Precondition Failed', {
      code: 'authz.policy_conflict',
      detail: 'The active policy changed since it was read: read it again, merge, and retry with the new ETag.',
    }),
  );
}

function invalid(request: FastifyRequest, reply: FastifyReply, issue: PolicyIssue): FastifyReply {
  return sendProblem(
    request,
    reply,
    problem(400, 'policy-invalid', 'Bad Request', { code: 'authz.policy_invalid', detail: 'The policy document does not compile: see issues. Nothing was stored.' }),
    { issues: [issue] },
  );
}

function view(policy: Omit<StoredPolicy, 'document'>): Record<string, unknown> {
  return {
    version: policy.version,
    format: policy.format,
    sha256: policy.sha256,
    createdBy: policy.createdBy ?? null,
    createdAt: new Date(policy.createdAt).toISOString(),
    active: policy.active,
  };
}

/** What the policy routes need. */
export interface PolicyRouteDeps {
  readonly repository: PolicyRepository;
  readonly active: ActivePolicy;
  readonly requireAdmin: RequireAdmin;
  readonly emit: EmitEvent;
}

/**
 * Adds the policy administration routes: `GET /v1/admin/policies` (active version with its document, history, `ETag`),
 * `GET /v1/admin/policies/:version`, `PUT /v1/admin/policies` (compile, store as the next version, activate),
 * `POST /v1/admin/policies/validate` (the same checks, nothing stored) and `POST /v1/admin/policies/:version/activate`
 * (rollback or roll-forward).
 *
 * Protects against: a broken or runaway policy taking authorization down (compiled by core before it is stored or
 * activated; refused → `400 authz.policy_invalid` with the issue, nothing stored, the previous version keeps
 * deciding); administrators overwriting each other (`If-Match` is required on PUT: `412` when the active state moved,
 * `428` without it); non-administrators and stale sessions changing policy (`requireAdmin(…, 'write')`: role, then
 * step-up); silent changes (every activation and refusal is an event with version and digest, never the document).
 */
export function registerPolicyRoutes(app: FastifyInstance, deps: PolicyRouteDeps): void {
  const { repository, active, requireAdmin, emit } = deps;

  app.get('/v1/admin/policies', documented({ tags: ['admin'], summary: 'The active policy version, its history and ETag (admin)', security: ['session', 'bearer'], responses: responses({}, 401, 403) }), async (request, reply) => {
    await requireAdmin(request, 'read');
    const current = await repository.active();
    const history = await repository.history(HISTORY);
    if (current?.activation !== undefined) void reply.header('etag', entityTag({ version: current.version, activation: current.activation }));
    const snapshot = active.snapshot;
    return sendJson(reply, 200, {
      active:
        current === undefined
          ? null
          : { ...view(current), document: current.document, digest: snapshot.version === current.version ? `sha256:${snapshot.authorizer.policies.digest}` : null },
      loaded: { version: snapshot.version, sha256: snapshot.sha256 },
      history: history.map(view),
    });
  });

  app.get('/v1/admin/policies/:version', documented({ tags: ['admin'], summary: 'One policy version (admin)', security: ['session', 'bearer'], params: versionParams, responses: responses({}, 401, 403, 404) }), async (request, reply) => {
    await requireAdmin(request, 'read');
    const params = versionParams.check(pathParameters(request));
    if (!params.ok) return sendProblem(request, reply, NOT_FOUND);
    const stored = await repository.get(params.value.version);
    if (stored === undefined) return sendProblem(request, reply, NOT_FOUND);
    return sendJson(reply, 200, { ...view(stored), document: stored.document });
  });

  app.post('/v1/admin/policies/validate', documented({ tags: ['admin'], summary: 'Dry run: parse and compile a policy document (admin)', security: ['session', 'bearer'], body: documentBody, responses: responses({}, 400, 401, 403) }), async (request, reply) => {
    // A dry run changes nothing: the read permission suffices, no step-up.
    await requireAdmin(request, 'read');
    const body = validated(documentBody, request.body, request, reply);
    if (body === undefined) return reply;
    const compiled = compileDocument(body.document, body.format ?? 'yaml');
    if (!compiled.ok) return invalid(request, reply, compiled.issue);
    return sendJson(reply, 200, { valid: true, digest: `sha256:${compiled.set.digest}`, resourceKinds: [...compiled.set.resourceKinds.keys()].length, roles: [...compiled.set.roles.keys()].length });
  });

  app.put('/v1/admin/policies', documented({ tags: ['admin'], summary: 'Publish a new policy version (admin, step-up, If-Match required)', security: ['session', 'bearer'], body: documentBody, responses: responses({}, 400, 401, 403, 412) }), async (request, reply) => {
    const identity = await requireAdmin(request, 'write');
    const body = validated(documentBody, request.body, request, reply);
    if (body === undefined) return reply;
    const expected = ifMatch(request);
    if (expected === undefined) return sendProblem(request, reply, PRECONDITION_REQUIRED);
    if (expected === null) return sendProblem(request, reply, BAD_PRECONDITION);
    const format = body.format ?? 'yaml';
    const compiled = compileDocument(body.document, format);
    if (!compiled.ok) {
      emit('authz.policy.refused', identity.userId, { code: 'AUTHZ_POLICY_SUBMISSION_REFUSED', policyCode: compiled.issue.code, activeVersion: active.snapshot.version, correlationId: correlationId(request) });
      return invalid(request, reply, compiled.issue);
    }
    const written = await repository.publish(expected, body.document, format, identity.userId);
    if (!written.ok) return conflict(request, reply, written.current);
    return activated(request, reply, identity.userId, written.policy, written.previous, 'publish', compiled.set.digest);
  });

  app.post('/v1/admin/policies/:version/activate', documented({ tags: ['admin'], summary: 'Activate an earlier or later version: rollback or roll forward (admin, step-up)', security: ['session', 'bearer'], params: versionParams, responses: responses({}, 401, 403, 404, 412) }), async (request, reply) => {
    const identity = await requireAdmin(request, 'write');
    const params = versionParams.check(pathParameters(request));
    if (!params.ok) return sendProblem(request, reply, NOT_FOUND);
    const expected = ifMatch(request);
    if (expected === null) return sendProblem(request, reply, BAD_PRECONDITION);
    const target = await repository.get(params.value.version);
    if (target === undefined) return sendProblem(request, reply, NOT_FOUND);
    // Compiled again: a version stored under an older engine must still compile before it decides again.
    const compiled = compileDocument(target.document, target.format);
    if (!compiled.ok) {
      emit('authz.policy.refused', identity.userId, { code: 'AUTHZ_POLICY_ACTIVATION_REFUSED', policyCode: compiled.issue.code, version: target.version, activeVersion: active.snapshot.version, correlationId: correlationId(request) });
      return invalid(request, reply, compiled.issue);
    }
    const written = await repository.activate(target.version, expected);
    if (!written.ok) return written.reason === 'unknown_version' ? sendProblem(request, reply, NOT_FOUND) : conflict(request, reply, written.current);
    if (!written.changed) {
      const marker = { version: written.policy.version, activation: written.policy.activation ?? 0 };
      void reply.header('etag', entityTag(marker));
      return sendJson(reply, 200, { ...view(written.policy), changed: false });
    }
    return activated(request, reply, identity.userId, written.policy, written.previous, 'rollback', compiled.set.digest);
  });

  async function activated(
    request: FastifyRequest,
    reply: FastifyReply,
    by: string,
    policy: StoredPolicy,
    previous: ActiveMarker | undefined,
    how: 'publish' | 'rollback',
    digest: string,
  ): Promise<FastifyReply> {
    emit('authz.policy.activated', by, {
      how,
      version: policy.version,
      sha256: policy.sha256,
      digest: `sha256:${digest}`,
      ...(previous === undefined ? {} : { previousVersion: previous.version }),
      correlationId: correlationId(request),
    });
    // This instance swaps now; the others within their poll interval.
    const snapshot = await active.refresh();
    const marker = { version: policy.version, activation: policy.activation ?? 0 };
    void reply.header('etag', entityTag(marker));
    return sendJson(reply, 200, { ...view(policy), changed: true, loaded: snapshot.version === policy.version });
  }
}
