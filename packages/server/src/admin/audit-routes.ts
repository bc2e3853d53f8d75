import type { KeyObject } from 'node:crypto';
import { keyIdOf } from '@rampart/core/audit';
import type { Static } from '@rampart/core/validate';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequireAdmin } from '../authz/index.js';
import { clientIp, correlationId, sendJson, sendProblem } from '../authz/http.js';
import { SECURITY } from '../openapi/index.js';
import { responses } from '../openapi/schemas.js';
import { DEFAULT_EVENTS_PAGE, MAX_CHECKPOINTS, type AuditAdmin } from './audit.js';
import type { AdminEvents } from './events.js';
import { ENTRY_NOT_FOUND, NOT_CHECKPOINTED, PROOFS_BUSY, VERIFY_RUNNING } from './problems.js';
import { CheckpointList, CheckpointsQuery, EventPage, EventsQuery, ProofResult, SeqParams, VerifyResult } from './schemas.js';

/** What the audit routes are built from. */
export interface AuditRouteDeps {
  readonly audit: AuditAdmin;
  /** The public keys that check this server's checkpoints (every key of the ring). */
  readonly publicKeys: readonly KeyObject[];
  readonly requireAdmin: RequireAdmin;
  readonly events: AdminEvents;
}

const TAGS = ['admin'];
const AUTH = [SECURITY.session, SECURITY.bearer];

function actor(request: FastifyRequest): Record<string, string> {
  return { route: request.routeOptions.url ?? '', clientIp: clientIp(request), correlationId: correlationId(request) };
}

/**
 * The audit routes under `/v1/admin/audit`, all on **this instance's** trail (`RampartServer.audit`): on PostgreSQL
 * with several instances each has its own chain, and an administrator reads the one of the instance that answers;
 * `rampart audit verify` checks every registered trail.
 *
 * Protects against: unaccountable access to the trail (PCI DSS 10.2.1.3: every read is an `audit.accessed` event);
 * secrets leaving through it (entries are stored redacted, before hashing; the routes return the stored text, nothing
 * else); tampering going unnoticed (signed heads and RFC 9162 inclusion proofs an auditor checks offline, and a
 * verification on demand); the trail's own routes wearing the server down (bounded pages, rows scanned, heads listed,
 * two proofs and one verification at a time, `409 audit.verify_running` otherwise).
 */
export function registerAuditRoutes(app: FastifyInstance, deps: AuditRouteDeps): void {
  const { audit, requireAdmin, events } = deps;
  const publicKeys = deps.publicKeys.map((key) => ({ keyId: keyIdOf(key), pem: key.export({ type: 'spki', format: 'pem' }).toString() }));

  app.get(
    '/v1/admin/audit/events',
    { schema: { tags: TAGS, summary: 'Entries of this instance’s audit trail after a seq (bounded pages)', security: AUTH, querystring: EventsQuery, response: responses({ 200: EventPage }, 400, 401, 403) } },
    async (request, reply) => {
      const admin = await requireAdmin(request, 'read');
      const query = request.query as Static<typeof EventsQuery>;
      const page = await audit.events({
        after: query.after === undefined ? -1 : Number(query.after),
        limit: query.limit === undefined ? DEFAULT_EVENTS_PAGE : Number(query.limit),
        ...(query.type === undefined ? {} : { type: query.type }),
      });
      events('audit.accessed', admin.userId, { ...actor(request), what: 'events', after: query.after ?? -1, count: page.entries.length });
      return sendJson(reply, 200, { instanceId: audit.instanceId, ...page });
    },
  );

  app.get(
    '/v1/admin/audit/checkpoints',
    { schema: { tags: TAGS, summary: 'Signed heads of this instance’s trail, newest first, with the public keys', security: AUTH, querystring: CheckpointsQuery, response: responses({ 200: CheckpointList }, 400, 401, 403) } },
    async (request, reply) => {
      const admin = await requireAdmin(request, 'read');
      const query = request.query as Static<typeof CheckpointsQuery>;
      const checkpoints = await audit.checkpoints(query.limit === undefined ? 20 : Math.min(Number(query.limit), MAX_CHECKPOINTS));
      events('audit.accessed', admin.userId, { ...actor(request), what: 'checkpoints', count: checkpoints.length });
      return sendJson(reply, 200, { instanceId: audit.instanceId, publicKeys, checkpoints });
    },
  );

  app.get(
    '/v1/admin/audit/proofs/:seq',
    { schema: { tags: TAGS, summary: 'RFC 9162 inclusion proof of one entry against the newest signed head', security: AUTH, params: SeqParams, response: responses({ 200: ProofResult }, 400, 401, 403, 404, 409, 503) } },
    async (request, reply) => {
      const admin = await requireAdmin(request, 'read');
      const seq = Number((request.params as Static<typeof SeqParams>).seq);
      const outcome = await audit.proof(seq);
      events('audit.accessed', admin.userId, { ...actor(request), what: 'proof', seq, outcome: outcome.kind });
      if (outcome.kind === 'not_found') return sendProblem(request, reply, ENTRY_NOT_FOUND);
      if (outcome.kind === 'not_checkpointed') return sendProblem(request, reply, NOT_CHECKPOINTED);
      if (outcome.kind === 'busy') return sendProblem(request, reply, PROOFS_BUSY);
      const { canonical, proof, checkpoint } = outcome.value;
      return sendJson(reply, 200, { instanceId: audit.instanceId, seq, canonical, leafIndex: proof.leafIndex, treeSize: proof.treeSize, path: proof.path, checkpoint });
    },
  );

  app.post(
    '/v1/admin/audit/verify',
    { schema: { tags: TAGS, summary: 'Verify this instance’s trail now (one at a time; step-up)', security: AUTH, response: responses({ 200: VerifyResult }, 401, 403, 409) } },
    async (request, reply) => {
      const admin = await requireAdmin(request, 'write');
      const result = await audit.verify();
      if (result === undefined) return sendProblem(request, reply, VERIFY_RUNNING);
      if (result.ok) {
        events('audit.verified', admin.userId, { ...actor(request), instanceId: result.instanceId, entries: result.entries, checkpoints: result.checkpoints });
        return sendJson(reply, 200, { instanceId: result.instanceId, ok: true, entries: result.entries, checkpoints: result.checkpoints });
      }
      // verify()'s `detail` may quote stored text: neither the answer nor the event carries it (position and problem suffice).
      events('audit.verify_failed', admin.userId, { ...actor(request), instanceId: result.instanceId, position: result.position, problem: result.problem });
      return sendJson(reply, 200, { instanceId: result.instanceId, ok: false, position: result.position, problem: result.problem });
    },
  );
}
