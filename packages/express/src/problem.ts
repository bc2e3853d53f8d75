import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { INTERNAL_ERROR, PROBLEM_CONTENT_TYPE, correlationIdFrom, problemBody, type Problem } from '@rampart/core/http';

/** The correlation id of this request: the chain's when it ran, else from `traceparent` or fresh. */
export function correlationIdOf(req: Request, res: Response): string {
  const traceparent = req.headers.traceparent;
  // A repeated traceparent is ambiguous: treated as absent, never picked from.
  return res.locals.rampart?.correlationId ?? correlationIdFrom(typeof traceparent === 'string' ? traceparent : undefined);
}

/**
 * Writes a problem (RFC 9457) with Node's own calls — no content negotiation, no ETag — built only from the problem and
 * the correlation id, so nothing of the request or of an error can reach the client through it.
 */
export function sendProblem(res: Response, problem: Problem, correlationId: string): void {
  if (problem.headers !== undefined) {
    for (const name of Object.keys(problem.headers)) {
      const value = problem.headers[name];
      if (value !== undefined) res.setHeader(name, value);
    }
  }
  // The rest of an oversized body is never read: closing the connection is what stops the client sending it.
  if (problem.status === 413) res.setHeader('connection', 'close');
  res.statusCode = problem.status;
  res.setHeader('content-type', PROBLEM_CONTENT_TYPE);
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify(problemBody(problem, correlationId)));
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
 * The problem for a thrown error: its own problem when it carries one; for a client error raised by a parser or the
 * framework (`status` 4xx), the bare status with its standard reason phrase (`about:blank`, RFC 9457 §4.2.1); for
 * anything else the generic 500. The error's message, stack and properties never reach the client.
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
