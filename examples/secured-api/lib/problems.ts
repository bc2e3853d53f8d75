/**
 * The problems (RFC 9457) the shop answers with. Each names the kind of refusal and nothing of the request: no echoed
 * value, no internal name, no error message.
 */
import { ProblemError } from '@rampart/express';
import { problem, type Problem } from '@rampart/core/http';
import { validationProblem, type CompiledSchema } from '@rampart/core/validate';

export const UNAUTHENTICATED = problem(401, 'unauthenticated', 'Unauthorized', {
  code: 'auth.required',
  detail: 'Log in, or send a valid bearer token.',
  headers: { 'www-authenticate': 'Bearer' },
});
export const INVALID_CREDENTIALS = problem(401, 'invalid-credentials', 'Unauthorized', {
  code: 'auth.invalid_credentials',
  detail: 'The user name or the password is wrong.',
});
export const FORBIDDEN = problem(403, 'forbidden', 'Forbidden', { code: 'auth.forbidden' });
export const NOT_FOUND = problem(404, 'not-found', 'Not Found', { code: 'resource.not_found' });
export const BAD_REQUEST = problem(400, 'bad-request', 'Bad Request', { code: 'request.invalid' });
export const UPSTREAM_FAILED = problem(502, 'upstream', 'Bad Gateway', {
  code: 'upstream.failed',
  detail: 'The remote service could not be reached safely.',
});

/** Throws `value` as a problem; Express 5 hands it to `rampartErrors()`. */
export function refuse(value: Problem): never {
  throw new ProblemError(value);
}

/**
 * The request part checked against its schema, or a 400 validation problem naming the failed rules (JSON pointers
 * and rule names only). Closed schemas refuse unknown properties, which is what stops mass assignment.
 */
export function validated<T>(schema: CompiledSchema<T>, value: unknown): T {
  const result = schema.check(value);
  if (!result.ok) throw new ProblemError(validationProblem(result.issues));
  return result.value;
}
