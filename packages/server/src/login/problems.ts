import { problem, type Problem } from '@rampart/core/http';

/*
 * The login module's problems (RFC 9457). Each says what the client can do next and nothing about why the server
 * decided: the reason goes to the security event, never to the answer.
 */

import { CHALLENGE, SESSION_ENDED } from '../auth/authenticate.js';

/**
 * Unknown address, wrong password, locked account: one answer, byte for byte, so the login route cannot be used to
 * learn which addresses have accounts or which accounts are locked.
 */
export const INVALID_CREDENTIALS: Problem = problem(401, 'invalid-credentials', 'Unauthorized', {
  code: 'auth.invalid_credentials',
  detail: 'The e-mail address or the password is wrong.',
  headers: CHALLENGE,
});

/** Given only after the right password: the password proves the caller owns the account, so this leaks nothing. */
export const EMAIL_UNVERIFIED: Problem = problem(403, 'email-unverified', 'Forbidden', {
  code: 'auth.email_unverified',
  detail: 'Confirm your e-mail address with the link we sent, then sign in.',
});

/** A login token that is unknown, expired, spent or out of attempts: the login must start again. */
export const LOGIN_TOKEN_INVALID: Problem = problem(401, 'login-token-invalid', 'Unauthorized', {
  code: 'auth.login_token_invalid',
  detail: 'This sign-in has expired or was already used. Sign in again.',
  headers: CHALLENGE,
});

/** A wrong, replayed, malformed or not-enrolled second factor: one answer for every reason. */
export const SECOND_FACTOR_INVALID: Problem = problem(401, 'second-factor-invalid', 'Unauthorized', {
  code: 'auth.second_factor_invalid',
  detail: 'The code is not valid. Try again with a new code.',
  headers: CHALLENGE,
});

/**
 * Re-authentication of a signed-in user failed (step-up or password change): wrong password or wrong code, one
 * answer. A 403, not a 401: the session itself is still good, and a client must not drop it.
 */
export const REAUTHENTICATION_FAILED: Problem = problem(403, 'reauthentication-failed', 'Forbidden', {
  code: 'auth.reauthentication_failed',
  detail: 'The password or the code is not valid.',
});

/** A step-up of an account with a second factor, sent without one. */
export const SECOND_FACTOR_REQUIRED: Problem = problem(403, 'second-factor-required', 'Forbidden', {
  code: 'auth.second_factor_required',
  detail: 'This account has a second factor: send its method and code with the password.',
});

/** The caller's session ended while the request ran (revoked, rotated away by a concurrent request): the kernel's answer. */
export const SESSION_GONE: Problem = SESSION_ENDED;

/** The account holds as many sessions as allowed and the session policy refuses new ones. */
export const SESSION_LIMIT: Problem = problem(409, 'session-limit', 'Conflict', {
  code: 'auth.session_limit',
  detail: 'Too many active sessions: sign out of another device first.',
});

/** A session handle that is not one of the caller's live sessions (another user's looks exactly the same). */
export const SESSION_NOT_FOUND: Problem = problem(404, 'session-not-found', 'Not Found', {
  code: 'session.not_found',
  detail: 'No such session.',
});

/** The password changed between reading it and writing the new one (two changes at once). */
export const PASSWORD_CHANGED_CONCURRENTLY: Problem = problem(409, 'password-changed-concurrently', 'Conflict', {
  code: 'password.changed_concurrently',
  detail: 'The password was changed by another request. Sign in again.',
});

/** The account behind a valid credential is gone. */
export const ACCOUNT_GONE: Problem = problem(404, 'account-not-found', 'Not Found', {
  code: 'account.not_found',
  detail: 'The account no longer exists.',
});

/** Too many attempts for this account or from this address; `retryAfterSeconds` goes into `Retry-After`. */
export function throttled(retryAfterSeconds: number): Problem {
  return problem(429, 'rate-limited', 'Too Many Requests', {
    code: 'auth.throttled',
    detail: 'Too many attempts. Wait before trying again.',
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });
}

/** The throttle's store does not answer: attempts are refused (fail closed), not let through uncounted. */
export function throttleUnavailable(retryAfterSeconds: number): Problem {
  return problem(503, 'throttle-unavailable', 'Service Unavailable', {
    code: 'auth.throttle_unavailable',
    detail: 'Sign-in is temporarily unavailable. Try again later.',
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });
}

/** The hashing bulkhead is full: a flood of logins is shed instead of queued without bound. */
export function hasherBusy(retryAfterSeconds: number): Problem {
  return problem(503, 'busy', 'Service Unavailable', {
    code: 'password.hasher_busy',
    detail: 'Too many requests are being processed. Try again later.',
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });
}
