import { PasswordHasherBusyError, type PasswordHasher, type VerifyResult } from '@rampart/core/password';
import { ProblemError } from '@rampart/fastify';
import type { onRequestHookHandler } from 'fastify';
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

/**
 * A route hook that answers `503 password.hasher_busy` before the body is read when the hashing bulkhead is already
 * full: a login that would be refused anyway costs no parsing, validation, throttle counting or database work, so a
 * flood leaves the event loop (and the health checks, and every other route) as much CPU as possible. One
 * `password.hasher_busy` event per second at most records the shedding (the bulkhead's own refusals record theirs).
 */
export function shedWhileHasherFull(hasher: PasswordHasher, report: (queued: number) => void, now: () => number): onRequestHookHandler {
  let lastReport = Number.NEGATIVE_INFINITY;
  return (_request, _reply, done) => {
    const { bulkhead } = hasher;
    // Full means what the bulkhead itself refuses on: every slot busy and the queue at its bound.
    if (bulkhead.active < bulkhead.concurrency || bulkhead.queued < bulkhead.maxQueue) {
      done();
      return;
    }
    const at = now();
    if (at - lastReport >= 1_000) {
      lastReport = at;
      report(bulkhead.queued);
    }
    done(new ProblemError(hasherBusy(bulkhead.retryAfterSeconds())));
  };
}
