import { RampartError } from '../errors.js';

/** Stable codes of {@link SessionError}. */
export type SessionErrorCode = 'SESSION_DATA_INVALID' | 'SESSION_USER_INVALID' | 'SESSION_STORE_FULL';

/**
 * Thrown for caller mistakes (session data that is not small JSON, an empty user id) and for a store at capacity.
 * Outcomes an attacker can cause with a crafted id are never thrown: they are `Result` failures.
 */
export class SessionError extends RampartError<SessionErrorCode> {}
