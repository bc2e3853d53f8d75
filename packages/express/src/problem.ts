import type { Request, Response } from 'express';
import { PROBLEM_CONTENT_TYPE, correlationIdFrom, problemBody, type Problem } from '@rampart/core/http';

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
