import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { PROBLEM_CONTENT_TYPE, problemBody, type Problem } from '@rampart/core/http';

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
