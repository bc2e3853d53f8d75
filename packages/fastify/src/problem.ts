import type { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { INTERNAL_ERROR, PROBLEM_CONTENT_TYPE, problemBody, type Problem } from '@rampart/core/http';

/** An error that carries the problem to send: throw it from a handler to refuse with that problem. */
export class ProblemError extends Error {
  readonly problem: Problem;
  /** Fastify reads `statusCode` to log the error at the right level. */
  readonly statusCode: number;

  constructor(problem: Problem) {
    super(problem.title);
    this.name = 'ProblemError';
    this.problem = problem;
    this.statusCode = problem.status;
  }
}

/**
 * The problem for a thrown error: its own problem when it carries one; for a client error Fastify raised (`statusCode`
 * 4xx: schema validation, unsupported media type, body too large), the bare status with its standard reason phrase
 * (`about:blank`, RFC 9457 §4.2.1); for anything else the generic 500. The error's message, stack and validation
 * details never reach the client.
 */
export function problemForError(error: unknown): Problem {
  if (error instanceof ProblemError) return error.problem;
  if (typeof error === 'object' && error !== null) {
    const status = (error as { statusCode?: unknown }).statusCode ?? (error as { status?: unknown }).status;
    if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 499) {
      return { status, type: 'about:blank', title: STATUS_CODES[status] ?? 'Client Error' };
    }
  }
  return INTERNAL_ERROR;
}

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
