import { problem, type Problem } from '@rampart/core/http';

/*
 * The administration module's problems (RFC 9457). Each says what the client can do next; the reason behind a refusal
 * goes to the security event, never to the answer.
 */

/** An account id that names no account (malformed ids are refused earlier by the route schema: 400). */
export const USER_NOT_FOUND: Problem = problem(404, 'not-found', 'Not Found', { code: 'admin.user_not_found', detail: 'No such account.' });

/** An API key id that names no key. */
export const API_KEY_NOT_FOUND: Problem = problem(404, 'not-found', 'Not Found', { code: 'admin.api_key_not_found', detail: 'No such API key.' });

/** An administrator asked to lock their own account: they would lose the session they are using and may be the last one. */
export const CANNOT_LOCK_SELF: Problem = problem(409, 'cannot-lock-self', 'Conflict', {
  code: 'admin.cannot_lock_self',
  detail: 'An administrator cannot lock their own account: ask another administrator.',
});

/** A verification of this instance's trail is already running: verifications run one at a time. */
export const VERIFY_RUNNING: Problem = problem(409, 'verify-running', 'Conflict', {
  code: 'audit.verify_running',
  detail: 'A verification of the audit trail is already running on this instance: try again when it has finished.',
  headers: { 'retry-after': '5' },
});

/** An inclusion proof for an entry that no signed checkpoint covers yet. */
export const NOT_CHECKPOINTED: Problem = problem(409, 'not-checkpointed', 'Conflict', {
  code: 'audit.not_checkpointed',
  detail: 'No signed checkpoint covers this entry yet: checkpoints are signed every minute. Try again shortly.',
  headers: { 'retry-after': '60' },
});

/** A seq beyond the trail, or an entry whose content retention removed. */
export const ENTRY_NOT_FOUND: Problem = problem(404, 'not-found', 'Not Found', { code: 'audit.entry_not_found', detail: 'No such audit entry (or its content was pruned).' });

/** Too many proofs computed at once on this instance (each reads every leaf hash of the tree). */
export const PROOFS_BUSY: Problem = problem(503, 'busy', 'Service Unavailable', {
  code: 'audit.busy',
  detail: 'Too many audit proofs are being computed: try again shortly.',
  headers: { 'retry-after': '2' },
});

/** A signed-in account whose password was set by someone else (a one-time password) must change it first. */
export const PASSWORD_CHANGE_REQUIRED: Problem = problem(403, 'password-change-required', 'Forbidden', {
  code: 'auth.password_change_required',
  detail: 'This account signed in with a one-time password: change it (POST /v1/password/change) before anything else.',
});

/** A client id that names no OAuth client. */
export const CLIENT_NOT_FOUND: Problem = problem(404, 'not-found', 'Not Found', { code: 'admin.oauth_client_not_found', detail: 'No such OAuth client.' });

/** A client id already taken. */
export const CLIENT_EXISTS: Problem = problem(409, 'oauth-client-exists', 'Conflict', { code: 'admin.oauth_client_exists', detail: 'An OAuth client with this id already exists.' });

/** A secret rotation asked of a client that authenticates otherwise (none, private_key_jwt, mTLS). */
export const CLIENT_NO_SECRET: Problem = problem(409, 'oauth-client-no-secret', 'Conflict', {
  code: 'admin.oauth_client_no_secret',
  detail: 'This client does not authenticate with a secret: there is nothing to rotate.',
});

/** A change without `If-Match`: it could overwrite a change made since the client was read. */
export const CLIENT_PRECONDITION_REQUIRED: Problem = problem(428, 'precondition-required', 'Precondition Required', {
  code: 'admin.oauth_client_precondition_required',
  detail: 'Send If-Match with the ETag of GET /v1/admin/oauth/clients/{clientId}, so a concurrent change is not overwritten.',
});

/** An `If-Match` that is not one strong entity tag (`*`, lists and weak tags say nothing about which version was read). */
export const CLIENT_PRECONDITION_INVALID: Problem = problem(400, 'bad-precondition', 'Bad Request', {
  code: 'admin.oauth_client_precondition_invalid',
  detail: 'If-Match must be one ETag of GET /v1/admin/oauth/clients/{clientId}.',
});

/** The client changed since the version the change was decided on. */
export const CLIENT_CONFLICT: Problem = problem(412, 'oauth-client-conflict', 'Precondition Failed', {
  code: 'admin.oauth_client_conflict',
  detail: 'The client changed since it was read: read it again (its ETag is in this answer), merge, and retry.',
});

/** A client the profile's rules refuse; `detail` names the field and the rule (never the refused value or a secret). */
export function clientInvalid(detail: string): Problem {
  return problem(400, 'oauth-client-invalid', 'Bad Request', { code: 'admin.oauth_client_invalid', detail });
}
