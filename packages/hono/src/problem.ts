import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { STATUS_CODES } from 'node:http';
import { INTERNAL_ERROR, PROBLEM_CONTENT_TYPE, problemBody, type Problem } from '@rampart/core/http';

/**
 * Answers with a problem (RFC 9457) built only from the problem and the correlation id, so nothing of the request or
 * of an error can reach the client through it. Headers the guards set before are kept.
 */
export function problemResponse(c: Context, problem: Problem, correlationId: string): Response {
  if (problem.headers !== undefined) {
    for (const name of Object.keys(problem.headers)) {
      const value = problem.headers[name];
      if (value !== undefined) c.header(name, value);
    }
  }
  // The rest of an oversized body is never read: closing the connection is what stops the client sending it.
  if (problem.status === 413) c.header('connection', 'close');
  c.header('content-type', PROBLEM_CONTENT_TYPE);
  c.header('cache-control', 'no-store');
  return c.body(JSON.stringify(problemBody(problem, correlationId)), problem.status as ContentfulStatusCode);
}

/** An error that carries the problem to send: throw it from a handler to refuse with that problem. */
export class ProblemError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.title);
    this.name = 'ProblemError';
    this.problem = problem;
  }
}

/**
 * The problem for a thrown error: its own problem when it carries one; for a client error (`HTTPException` and others
 * with a 4xx `status`), the bare status with its standard reason phrase (`about:blank`, RFC 9457 §4.2.1); for
 * anything else the generic 500. The error's message and stack never reach the client.
 */
export function problemForError(error: unknown): Problem {
  if (error instanceof ProblemError) return error.problem;
  if (typeof error === 'object' && error !== null) {
    const status = (error as { status?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 499) {
      return { status, type: 'about:blank', title: STATUS_CODES[status] ?? 'Client Error' };
    }
  }
  return INTERNAL_ERROR;
}
