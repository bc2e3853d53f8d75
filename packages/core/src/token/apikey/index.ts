/**
 * API keys: `<prefix>_<id>_<secret><checksum>`, keyed hashes, scopes, expiry, revocation, last-used time.
 * See README.md for the threat model and the defaults.
 */
export {
  ApiKeys,
  DEFAULT_API_KEY_TTL_MS,
  DEFAULT_API_KEY_MAX_TTL_MS,
  type ApiKeysOptions,
  type CreateApiKeyInput,
  type CreatedApiKey,
  type ApiKeyFailure,
} from './api-keys.js';
export {
  formatApiKey,
  parseApiKey,
  generateApiKeyParts,
  checkApiKeyPrefix,
  API_KEY_PREFIX_PATTERN,
  DEFAULT_API_KEY_PREFIX,
  type ApiKeyParts,
  type ApiKeyFormatFailure,
} from './format.js';
export type { ApiKeyStore, ApiKeyRecord, ApiKeyInfo, ApiKeyRehash } from './store.js';
export { MemoryApiKeyStore } from './memory-store.js';
