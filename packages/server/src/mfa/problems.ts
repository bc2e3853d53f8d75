import { problem, type Problem } from '@rampart/core/http';

/*
 * The module's refusals, each with a stable `code`. Details are fixed text: nothing of the request, the stored
 * factors or the reason a verifier gave (events keep the reason for the operator).
 */

export const CODE_INVALID: Problem = problem(400, 'mfa-code-invalid', 'Bad Request', {
  code: 'mfa.code_invalid',
  detail: 'The code is wrong, expired or already used.',
});

export const TOTP_NOT_PENDING: Problem = problem(409, 'mfa-totp-not-pending', 'Conflict', {
  code: 'mfa.totp_not_pending',
  detail: 'No TOTP enrollment is waiting for confirmation (it may have expired). Start a new one.',
});

export const TOTP_NOT_ENROLLED: Problem = problem(404, 'mfa-totp-not-enrolled', 'Not Found', {
  code: 'mfa.totp_not_enrolled',
  detail: 'No authenticator app is enrolled.',
});

export const PASSKEY_NOT_FOUND: Problem = problem(404, 'mfa-passkey-not-found', 'Not Found', {
  code: 'mfa.passkey_not_found',
  detail: 'No such passkey.',
});

export const PASSKEY_REGISTRATION_FAILED: Problem = problem(400, 'mfa-passkey-registration-failed', 'Bad Request', {
  code: 'mfa.passkey_registration_failed',
  detail: 'The passkey could not be registered. Start again.',
});

export const PASSKEY_VERIFICATION_FAILED: Problem = problem(401, 'mfa-passkey-failed', 'Unauthorized', {
  code: 'mfa.passkey_failed',
  detail: 'The passkey could not be verified. Start again.',
  headers: { 'www-authenticate': 'Bearer realm="rampart"' },
});

export const PASSKEYS_UNAVAILABLE: Problem = problem(503, 'mfa-passkeys-unavailable', 'Service Unavailable', {
  code: 'mfa.passkeys_unavailable',
  detail: 'Passkeys need the server to be reached at a domain name over https (or http://localhost).',
});

/** The login module's answer to a dead login token, byte for byte (`auth.login_token_invalid`). */
export const LOGIN_TOKEN_INVALID: Problem = problem(401, 'login-token-invalid', 'Unauthorized', {
  code: 'auth.login_token_invalid',
  detail: 'This sign-in has expired or was already used. Sign in again.',
  headers: { 'www-authenticate': 'Bearer realm="rampart"' },
});

export const DELIVERY_WITH_LOGIN_TOKEN: Problem = problem(400, 'mfa-delivery-not-allowed', 'Bad Request', {
  code: 'mfa.delivery_not_allowed',
  detail: 'A second factor completes the pending login as it was started: send no delivery with a loginToken.',
});

export const SESSION_INVALID: Problem = problem(401, 'session-expired', 'Unauthorized', {
  code: 'auth.session_invalid',
  detail: 'The session has ended. Sign in again.',
  headers: { 'www-authenticate': 'Bearer realm="rampart"' },
});
