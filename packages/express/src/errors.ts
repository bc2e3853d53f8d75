import type { ErrorRequestHandler } from 'express';
import { problemForError } from '@rampart/core/http';
import { correlationIdOf, sendProblem } from './problem.js';

export interface RampartErrorsOptions {
  /**
   * Receives every error with the correlation id the client was given: the operator's side of the story (message,
   * stack) goes to logs, never to the response.
   */
  readonly report?: (error: unknown, correlationId: string) => void;
}

/**
 * Express error handler that answers every error with a problem (RFC 9457) carrying only a status, a generic title
 * and the correlation id. Protects against stack traces, SQL and internal names leaking through Express's default
 * error page (which prints the stack unless `NODE_ENV=production`). Register it last: `app.use(rampartErrors())`.
 */
export function rampartErrors(options: RampartErrorsOptions = {}): ErrorRequestHandler {
  const report = options.report;
  return function rampartErrorHandler(error: unknown, req, res, next) {
    if (res.headersSent) {
      // Half a response is out: Express's final handler can only close the connection, which is what it does.
      next(error);
      return;
    }
    const correlationId = correlationIdOf(req, res);
    if (report !== undefined) {
      try {
        report(error, correlationId);
      } catch {
        // A failing logger must not turn the problem response into a crash.
      }
    }
    // Whatever a handler set for its own response (a length, a download name) does not describe this one.
    res.removeHeader('content-length');
    res.removeHeader('content-disposition');
    sendProblem(res, problemForError(error), correlationId);
  };
}
