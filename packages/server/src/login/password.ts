import { PasswordHasherBusyError, type PasswordHasher, type VerifyResult } from '@rampart/core/password';
import { ProblemError } from '@rampart/fastify';
import { hasherBusy } from './problems.js';

/**
 * Turns a full hashing bulkhead into the 503 problem with `Retry-After`: a flood of logins is shed at once instead of
 * queueing without bound (memory, latency) or failing as a 500.
 */
async function shedWhenBusy<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof PasswordHasherBusyError) throw new ProblemError(hasherBusy(error.retryAfterSeconds));
    throw error;
  }
}

/**
 * Verifies `password` against `storedHash`; `undefined` means "no such account", for which core's hasher runs one real
 * Argon2id verify against a dummy hash at the current parameters and answers `unknown_user`.
 *
 * Protects against account enumeration by timing and load: an unknown address costs the same Argon2id work as a
 * known one (one code path, one verify). Outdated hashes come back with `rehash` set (core's `needsRehash`).
 */
export function verifyPassword(hasher: PasswordHasher, storedHash: string | undefined, password: string): Promise<VerifyResult> {
  return shedWhenBusy(() => hasher.verify(storedHash, password));
}

/** Hashes a new password, with a busy hasher answered 503 + `Retry-After` (see {@link verifyPassword}). */
export function hashPassword(hasher: PasswordHasher, password: string): Promise<string> {
  return shedWhenBusy(() => hasher.hash(password));
}
