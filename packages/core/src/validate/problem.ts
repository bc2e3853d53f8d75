import { bodyProblem } from '../http/body/problems.js';
import { problem, problemBody, type Problem, type ProblemBody } from '../http/problem/problem.js';
import { clientIssues, type ClientIssue } from './issues.js';
import type { UntrustedJsonRefusal } from './json.js';

/** A validation refusal as an RFC 9457 problem, with the `errors` extension member (§3.2) listing what failed. */
export interface ValidationProblem extends Problem {
  readonly errors: readonly ClientIssue[];
}

/** The JSON body of a `ValidationProblem`: `problemBody`'s members plus `errors`. */
export interface ValidationProblemBody extends ProblemBody {
  readonly errors: readonly ClientIssue[];
}

export interface ValidationProblemOptions {
  /**
   * 400 (the default, as Fastify answers) or 422 Unprocessable Content (RFC 9110 §15.5.21: the JSON was well formed
   * but its content is not what the endpoint takes).
   */
  readonly status?: 400 | 422;
  /** Most issues listed. Default 20. */
  readonly maxIssues?: number;
}

/**
 * The problem to answer a refused value with: a fixed title and detail, and `errors` as `{ pointer, rule }` pairs.
 *
 * Protects against information leaks: the rejected value, undeclared property names (attacker text), the validator's
 * messages and the schema's internals (patterns, limits, schema paths) never reach the client; the pointers name only
 * what the schema declares, which the API contract publishes anyway.
 */
export function validationProblem(issues: readonly ClientIssue[], options: ValidationProblemOptions = {}): ValidationProblem {
  const status = options.status ?? 400;
  const errors = clientIssues(issues.slice(0, options.maxIssues ?? 20));
  return {
    ...problem(status, 'validation', status === 422 ? 'Unprocessable Content' : 'Bad Request', {
      code: 'validation.failed',
      detail: 'The request does not match the schema of this endpoint.',
      extensions: { errors },
    }),
    errors,
  };
}

/** The body to send for a validation problem: `problemBody` plus the `errors` list, tagged with `correlationId`. */
export function validationProblemBody(value: ValidationProblem, correlationId: string): ValidationProblemBody {
  return { ...problemBody(value, correlationId), errors: clientIssues(value.errors) };
}

const DUPLICATE_KEY: Problem = Object.freeze(
  problem(400, 'json-duplicate-key', 'Bad Request', {
    code: 'body.duplicate_key',
    detail: 'The request body names the same member twice in one object.',
  }),
);

/**
 * The problem for a refused untrusted JSON text: the body module's fixed problems (400, 413 for `too_large`), and a
 * 400 `body.duplicate_key` for a repeated member name. Never repeats the text or the parser's message.
 */
export function untrustedJsonProblem(reason: UntrustedJsonRefusal): Problem {
  return reason === 'duplicate_key' ? DUPLICATE_KEY : bodyProblem(reason);
}
