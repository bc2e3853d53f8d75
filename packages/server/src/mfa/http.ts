import { correlationIdFrom, type Problem } from '@rampart/core/http';
import { validationProblem, validationProblemBody, type CompiledSchema } from '@rampart/core/validate';
import { sendProblem } from '@rampart/fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The request's correlation id (set by the guard chain), for problem bodies. */
export function correlationId(request: FastifyRequest): string {
  return request.rampart?.correlationId ?? correlationIdFrom(undefined);
}

/**
 * Sends `value` as JSON with `cache-control: no-store`: every MFA answer is about one account's factors (and some hold
 * secrets shown once), so no shared or browser cache may keep it.
 */
export function sendJson(reply: FastifyReply, status: number, value: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store').send(JSON.stringify(value));
}

/** Answers `refusal` as an RFC 9457 problem that repeats nothing of the request. */
export function sendRefusal(request: FastifyRequest, reply: FastifyReply, refusal: Problem): FastifyReply {
  return sendProblem(reply, refusal, correlationId(request));
}

/**
 * Checks the request body against a closed schema; answers `400 validation.failed` (pointers and rules only, never
 * the rejected value) and returns `undefined` on refusal. A missing body counts as `{}`, so routes without members
 * take an empty POST, and still refuse any member sent (mass assignment).
 */
export function bodyOf<T>(schema: CompiledSchema<T>, request: FastifyRequest, reply: FastifyReply): T | undefined {
  const result = schema.check(request.body ?? {});
  if (result.ok) return result.value;
  void reply
    .code(400)
    .header('content-type', 'application/problem+json')
    .header('cache-control', 'no-store')
    .send(JSON.stringify(validationProblemBody(validationProblem(result.issues), correlationId(request))));
  return undefined;
}

