export { SessionError, type SessionErrorCode } from './errors.js';
export { isWellFormedSessionId, sessionKey, SESSION_ID_BYTES } from './id.js';
export {
  createSessionManager,
  type ListedSession,
  type ListOptions,
  type LoginOptions,
  type RevokeAllOptions,
  type RotateOptions,
  type SessionManager,
  type SessionManagerOptions,
} from './manager.js';
export { MemorySessionStore, type MemorySessionStoreOptions } from './memory-store.js';
export type { InsertOptions, InsertOutcome, SessionLimit, SessionStore } from './store.js';
export type {
  IssuedSession,
  JsonValue,
  Session,
  SessionData,
  SessionFailureReason,
  SessionLimitPolicy,
  SessionRecord,
} from './types.js';
