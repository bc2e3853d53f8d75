/**
 * Password storage of the vulnerable shop. DELIBERATELY INSECURE: unsalted MD5 (CWE-916, CWE-328). One MD5 costs
 * nanoseconds, and the same password always gives the same hash, so a dumped hash is looked up in a precomputed table.
 */
import { createHash } from 'node:crypto';

/** The hash stored in `users.password_hash`. */
export function hashPassword(password: string): string {
  return createHash('md5').update(password).digest('hex');
}

/** Compares a login attempt with the stored hash. */
export function checkPassword(password: string, storedHash: string): boolean {
  return hashPassword(password) === storedHash;
}
