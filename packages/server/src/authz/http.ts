import { correlationIdFrom, PROBLEM_CONTENT_TYPE, problemBody, type Problem } from '@rampart/core/http';
import { validationProblem, validationProblemBody, type CompiledSchema } from '@rampart/core/validate';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The request's correlation id (set by the Rampart chain), for problem bodies and events. */
export function correlationId(request: FastifyRequest): string {
  return request.rampart?.correlationId ?? correlationIdFrom(undefined);
}

/** The client address as the chain resolved it through the trusted-proxy settings (never raw `X-Forwarded-For`). */
export function clientIp(request: FastifyRequest): string {
  return request.rampart?.clientIp ?? request.ip;
}

/**
 * Answers `body` as JSON with `cache-control: no-store`: every answer of this module names accounts, keys, roles or
 * policies, none of which a shared cache may keep.
 */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store').send(JSON.stringify(body));
}

/** Answers an RFC 9457 problem, with extension members (`issues`) when given. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, value: Problem, extra: Readonly<Record<string, unknown>> = {}): FastifyReply {
  for (const [name, header] of Object.entries(value.headers ?? {})) void reply.header(name, header);
  return reply
    .code(value.status)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .header('cache-control', 'no-store')
    .send(JSON.stringify({ ...problemBody(value, correlationId(request)), ...extra }));
}

/**
 * Checks `value` (a body, parameters) against a closed schema; answers the 400 validation problem (pointer and rule
 * only, never the value) and returns `undefined` on refusal. Protects against mass assignment and type confusion.
 */
export function validated<T>(schema: CompiledSchema<T>, value: unknown, request: FastifyRequest, reply: FastifyReply): T | undefined {
  const result = schema.check(value);
  if (result.ok) return result.value;
  void reply
    .code(400)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .header('cache-control', 'no-store')
    .send(JSON.stringify(validationProblemBody(validationProblem(result.issues), correlationId(request))));
  return undefined;
}
