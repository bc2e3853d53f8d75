/**
 * Passwords: Argon2id hashing with legacy-hash upgrade and an optional rotatable pepper, a NIST SP 800-63B policy with
 * common-password and strength checks, and a bulkhead that keeps a login flood from exhausting CPU and memory.
 * See README.md beside this file.
 */
export { Bulkhead, BulkheadFullError, type BulkheadOptions } from './bulkhead.js';
export { nodeHashingEngine, type Argon2HashParameters, type PasswordHashingEngine, type ScryptParameters } from './engine.js';
export { createWorkerHashingEngine, HashWorkerError, type WorkerHashingEngine, type WorkerHashingEngineOptions } from './worker-engine.js';
export { PasswordHasherBusyError, PasswordInputError, type PasswordInputProblem } from './errors.js';
export { parseStoredHash, type HashFormatProblem, type ParsedHash, type VerifyLimits } from './formats.js';
export {
  createPasswordHasher,
  OWASP_ARGON2ID,
  PEPPER_PURPOSE,
  type PasswordHasher,
  type PasswordHasherOptions,
  type PasswordHashParameters,
  type VerifyFailureReason,
  type VerifyResult,
  type VerifySuccess,
} from './hasher.js';
export { DEFAULT_MAX_PASSWORD_BYTES, normalizePassword } from './input.js';
export {
  createPasswordPolicy,
  type PasswordPolicy,
  type PasswordPolicyOptions,
  type PolicyContext,
  type PolicyResult,
  type PolicyViolation,
  type PolicyViolationCode,
  type StrengthScore,
} from './policy.js';
