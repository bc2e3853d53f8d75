import { createHash, randomBytes, scryptSync } from 'node:crypto';

export function hashPassword(password: string): string {
  const salt = randomBytes(16).toString('hex');
  return salt + ':' + createHash('sha256').update(salt + password).digest('hex');
}
