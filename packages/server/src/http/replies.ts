import { correlationIdFrom, PROBLEM_CONTENT_TYPE, problemBody, type Problem } from '@rampart/core/http';
import { validationProblem, validationProblemBody, type CompiledSchema } from '@rampart/core/validate';
import type { FastifyReply, FastifyRequest } from 'fastify';

/*
 * How every module of the server answers: one place, so a header that protects one route (`no-store`) protects all,
 * and no module can answer a refusal with something of the request in it.
 */

/** The request's correlation id (the one the chain put in its problems and events), for problem bodies and events. */
export function correlationId(request: FastifyRequest): string {
  return request.rampart?.correlationId ?? correlationIdFrom(undefined);
}

/** The client address as the chain resolved it through the trusted-proxy settings (never raw `X-Forwarded-For`). */
export function clientIp(request: FastifyRequest): string {
  return request.rampart?.clientIp ?? request.ip;
}

/**
 * Answers `body` as JSON with `cache-control: no-store`: the server's answers concern one account (tokens, sessions,
 * factors, keys, personal data) or its administration, and no shared or browser cache may keep them.
 */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store').send(JSON.stringify(body));
}

/**
 * Answers an RFC 9457 problem built only from `value`, the correlation id and the server's own `extra` members
 * (validation issues, policy violations) — nothing of the request. The problem's own headers (`Retry-After`,
 * `WWW-Authenticate`) go with it.
 */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, value: Problem, extra: Readonly<Record<string, unknown>> = {}): FastifyReply {
  for (const [name, header] of Object.entries(value.headers ?? {})) void reply.header(name, header);
  return reply
    .code(value.status)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .header('cache-control', 'no-store')
    .send(JSON.stringify({ ...extra, ...problemBody(value, correlationId(request)) }));
}

/**
 * Checks `value` (a body, parameters) against a closed schema; on refusal answers the 400 validation problem
 * (pointers and rules only, never the rejected value) and returns `undefined`. Undeclared members (`role`,
 * `emailVerified`, …) are refused, so nothing a client adds can reach a query (mass assignment).
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
