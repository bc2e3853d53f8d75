import { RampartError } from '../errors.js';
import { BulkheadFullError } from './bulkhead.js';

/**
 * The password hasher's bulkhead is full: the hash or verify was refused without being started. The HTTP layer maps
 * it to `503 Service Unavailable` with `Retry-After: retryAfterSeconds`. It is not a failed login and must not count as
 * one (no lockout, no failed-attempt counter).
 */
export class PasswordHasherBusyError extends BulkheadFullError {
  constructor(retryAfterSeconds: number) {
    super(retryAfterSeconds, 'PASSWORD_HASHER_BUSY', 'the password hasher is at capacity; retry later');
  }
}

/** Why a password was refused before any hashing: see {@link PasswordInputError}. */
export type PasswordInputProblem = 'too_long' | 'invalid_input';

/**
 * Thrown by `hash()` for input that must never reach the hasher: not a string, empty, not well-formed Unicode
 * (`PASSWORD_INVALID`), or over the byte bound (`PASSWORD_TOO_LONG`). The message never contains the password.
 */
export class PasswordInputError extends RampartError {
  readonly problem: PasswordInputProblem;

  constructor(problem: PasswordInputProblem, maxBytes: number) {
    super(
      problem === 'too_long' ? 'PASSWORD_TOO_LONG' : 'PASSWORD_INVALID',
      problem === 'too_long' ? `the password is longer than ${maxBytes} bytes (UTF-8)` : 'the password must be a non-empty, well-formed string',
    );
    this.problem = problem;
  }
}
