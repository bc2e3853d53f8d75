export { randomToken, MIN_TOKEN_BYTES } from './random.js';
export { constantTimeEqual, constantTimeEqualString } from './compare.js';
export { hmacSha256 } from './hmac.js';
export {
  KeyRing,
  KeyRingError,
  MIN_KEY_BYTES,
  type KeyRingChange,
  type KeyRingDocument,
  type KeyRingOptions,
  type RingKey,
} from './keyring.js';
export { FieldCipher, DecryptionError, type DecryptFailure, type EncryptionContext } from './field.js';
export { BlindIndex, type BlindIndexOptions } from './blind-index.js';
