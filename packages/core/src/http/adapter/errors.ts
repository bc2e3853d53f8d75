import { STATUS_CODES } from 'node:http';
import { INTERNAL_ERROR, type Problem } from '../problem/problem.js';

/** An error that carries the problem to send: throw it from a handler to refuse with that problem. */
export class ProblemError extends Error {
  readonly problem: Problem;
  /** Frameworks (Fastify, http-errors) read `statusCode` / `status` to log the error at the right level. */
  readonly statusCode: number;

  constructor(problem: Problem) {
    super(problem.title);
    this.name = 'ProblemError';
    this.problem = problem;
    this.statusCode = problem.status;
  }
}

/**
 * The problem for a thrown error: its own problem when it is a {@link ProblemError}; for a client error raised by a
 * parser or the framework (`status` / `statusCode` 4xx: validation, unsupported media type, body too large), the bare
 * status with its standard reason phrase (`about:blank`, RFC 9457 §4.2.1); for anything else the generic 500.
 *
 * Protects against information leaks through errors: the error's message, stack, SQL, validation details and own
 * properties never reach the client; the operator gets them through the adapter's `report` hook with the correlation id.
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
