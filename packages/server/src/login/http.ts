import type { CompiledSchema } from '@rampart/core/validate';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { validated } from '../http/replies.js';

export { clientIp, correlationId, sendJson } from '../http/replies.js';

/** `request.body` checked against a closed schema, or `undefined` once the 400 validation problem is sent. */
export function bodyOf<T>(schema: CompiledSchema<T>, request: FastifyRequest, reply: FastifyReply): T | undefined {
  return validated(schema, request.body, request, reply);
}
