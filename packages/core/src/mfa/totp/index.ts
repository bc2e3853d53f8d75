export { Totp, type TotpEnrollInput, type TotpEnrollment, type TotpFailure, type TotpVerifyInput } from './totp.js';
export {
  MAX_TOTP_WINDOW,
  TOTP_PERIOD_SECONDS,
  type TotpAlgorithm,
  type TotpDigits,
  type TotpOptions,
  type TotpWindow,
} from './options.js';
export { MemoryTotpReplayStore, type MemoryTotpReplayStoreOptions, type TotpReplayStore } from './replay-store.js';
export { decodeTotpSecret, generateTotpSecret, MAX_TOTP_SECRET_BYTES, MIN_TOTP_SECRET_BYTES } from './secret.js';
export { normalizeTotpCode } from './code.js';
export { TotpSecretError, type TotpSecretErrorCode } from './errors.js';
