export { SqlApiKeyStore } from './api-key-store.js';
export { SqlBackupCodeStore } from './backup-code-store.js';
export { SqlRefreshTokenStore } from './refresh-token-store.js';
export { SqlSessionStore } from './session-store.js';
export type { StoreDatabase } from './sql.js';
export { SqlTotpReplayStore } from './totp-replay-store.js';
export { SqlWebAuthnChallengeStore, type SqlWebAuthnChallengeStoreOptions } from './webauthn-challenge-store.js';
export { SqlWebAuthnCredentialStore } from './webauthn-credential-store.js';
