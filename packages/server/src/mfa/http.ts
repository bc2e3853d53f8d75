import type { Problem } from '@rampart/core/http';
import type { CompiledSchema } from '@rampart/core/validate';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem, validated } from '../http/replies.js';

export { correlationId, sendJson } from '../http/replies.js';

/** Answers `refusal` as an RFC 9457 problem that repeats nothing of the request. */
export function sendRefusal(request: FastifyRequest, reply: FastifyReply, refusal: Problem): FastifyReply {
  return sendProblem(request, reply, refusal);
}

/**
 * The request body checked against a closed schema, or `undefined` once the 400 validation problem is sent. A missing
 * body counts as `{}`, so routes without members take an empty POST, and still refuse any member sent.
 */
export function bodyOf<T>(schema: CompiledSchema<T>, request: FastifyRequest, reply: FastifyReply): T | undefined {
  return validated(schema, request.body ?? {}, request, reply);
}
