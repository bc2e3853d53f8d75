import { correlationIdFrom, PROBLEM_CONTENT_TYPE } from '@rampart/core/http';
import { validationProblem, validationProblemBody, type CompiledSchema } from '@rampart/core/validate';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The request's correlation id (the one the chain put in its problems and events). */
export function correlationId(request: FastifyRequest): string {
  return request.rampart?.correlationId ?? correlationIdFrom(undefined);
}

/** The caller's address as the chain resolved it through the trusted-proxy settings (never raw `X-Forwarded-For`). */
export function clientIp(request: FastifyRequest): string {
  return request.rampart?.clientIp ?? request.ip;
}

/**
 * Answers `body` as JSON with `cache-control: no-store`: every answer of these routes concerns one account (tokens,
 * sessions, personal data), and no shared or browser cache may keep it.
 */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store').send(JSON.stringify(body));
}

/**
 * Checks `request.body` against a closed schema; on refusal answers the 400 validation problem (pointer and rule only,
 * never the rejected value) and returns `undefined`. Undeclared members (`role`, `emailVerified`, …) are refused, so
 * nothing a client adds can reach a query (mass assignment).
 */
export function bodyOf<T>(schema: CompiledSchema<T>, request: FastifyRequest, reply: FastifyReply): T | undefined {
  const result = schema.check(request.body);
  if (result.ok) return result.value;
  void reply
    .code(400)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .header('cache-control', 'no-store')
    .send(JSON.stringify(validationProblemBody(validationProblem(result.issues), correlationId(request))));
  return undefined;
}
