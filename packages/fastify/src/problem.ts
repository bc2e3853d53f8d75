import type { FastifyReply } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problemBody, type Problem } from '@rampart/core/http';

/**
 * Sends a problem (RFC 9457) built only from the problem and the correlation id, so nothing of the request or of an
 * error can reach the client through it.
 */
export function sendProblem(reply: FastifyReply, problem: Problem, correlationId: string): FastifyReply {
  if (problem.headers !== undefined) reply.headers(problem.headers);
  // The rest of an oversized body is never read: closing the connection is what stops the client sending it.
  if (problem.status === 413) reply.header('connection', 'close');
  return reply
    .code(problem.status)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .header('cache-control', 'no-store')
    .send(JSON.stringify(problemBody(problem, correlationId)));
}
