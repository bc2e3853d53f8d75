import { constantTimeEqualString } from '../../crypto/compare.js';
import { RampartError } from '../../errors.js';
import { CONTINUE, type GuardContext, type Verdict } from '../chain/types.js';
import { CSRF_HANDLE, CSRF_PENDING, CSRF_STATUS } from './context.js';
import { MAX_TOKEN_LENGTH } from './token.js';
import { refuse } from './refusal.js';

function hasGetAll(form: object): form is { getAll(name: string): readonly unknown[] } {
  return typeof (form as { getAll?: unknown }).getAll === 'function';
}

/**
 * The one token value in `form`, or `undefined` when it is absent, repeated, or not a string. A repeated field is
 * refused rather than "first wins": an attacker who can inject one field must not get to choose which copy counts.
 */
function fieldValue(form: unknown, field: string): string | undefined {
  if (typeof form !== 'object' || form === null) return undefined;
  let value: unknown;
  try {
    if (hasGetAll(form)) {
      const values = form.getAll(field);
      if (!Array.isArray(values) || values.length !== 1) return undefined;
      value = values[0];
    } else {
      // Own properties only: `__proto__`, `constructor` and friends from the prototype are never a token.
      if (!Object.hasOwn(form, field)) return undefined;
      value = (form as Record<string, unknown>)[field];
    }
  } catch {
    return undefined;
  }
  return typeof value === 'string' && value.length <= MAX_TOKEN_LENGTH ? value : undefined;
}

/**
 * Finishes the CSRF check of an HTML form post: call it after parsing the body and BEFORE the route handler runs, and
 * send the returned verdict if it is not `continue`.
 *
 * Protects against cross-site form posts when the guard was built with `verifyFormFieldAfterBodyParsing` (forms cannot
 * send the token header, and guards do not read bodies): the guard has already checked Fetch Metadata, the origin and
 * that the `__Host-csrf` cookie is bound to this session, and marked the request pending; this compares the form
 * field (default `_csrf`) with that cookie in constant time. `form` is the parsed body as the common parsers give it:
 * a plain object (`qs`, `@fastify/formbody`, `busboy` fields) or anything with `getAll` (`URLSearchParams`, `FormData`). On any request the guard did not mark pending it returns
 * `continue`; if the guard never ran on this context it refuses (fail closed: nothing was checked).
 */
export function verifyCsrfFormField(context: GuardContext, form: unknown): Verdict {
  const handle = context.get(CSRF_HANDLE);
  const status = context.get(CSRF_STATUS);
  if (handle === undefined || status === undefined) return refuse(context, 'UNKNOWN', 'not_checked');
  if (status !== 'pending') return CONTINUE;
  const pending = context.get(CSRF_PENDING);
  if (pending === undefined) return refuse(context, 'UNKNOWN', 'not_checked');
  const value = fieldValue(form, handle.formField);
  if (value === undefined) return refuse(context, pending.method, 'form_token_missing');
  if (!constantTimeEqualString(value, pending.token)) return refuse(context, pending.method, 'token_mismatch');
  context.set(CSRF_STATUS, 'verified');
  return CONTINUE;
}

/**
 * Whether the request still waits for {@link verifyCsrfFormField}. An adapter checks it right before calling the
 * handler and refuses (403) when it is `true`: the last line against a wiring in which the body was never verified.
 */
export function isCsrfPending(context: GuardContext): boolean {
  return context.get(CSRF_STATUS) === 'pending';
}

/**
 * Issues a new token bound to `newSessionBinding` (the new session id after login, or `undefined` after logout): sets
 * the `__Host-csrf` cookie on the response and {@link CSRF_TOKEN} in the context, and returns the token.
 *
 * Protects against session fixation carried through the CSRF token: a token known before login (the attacker's, or
 * one leaked from the anonymous page) stops verifying, because the new token binds to the rotated session id. Call it
 * in the same response that sets the new session cookie. Throws a `RampartError` (`CSRF_GUARD_NOT_RUN`) when the
 * CSRF guard did not run on this context.
 */
export function rotateCsrfToken(context: GuardContext, newSessionBinding: string | undefined): string {
  const handle = context.get(CSRF_HANDLE);
  if (handle === undefined) throw new RampartError('CSRF_GUARD_NOT_RUN', 'rotateCsrfToken needs a context on which the csrf guard ran');
  return handle.issue(context, newSessionBinding);
}
