import { randomBytes } from 'node:crypto';
import { ConfigurationError } from '../errors.js';

/** Minimum entropy for a bearer secret: 256 bits, beyond any online or offline guessing. */
export const MIN_TOKEN_BYTES = 32;

/**
 * Returns a random, URL-safe (base64url, unpadded) token from the operating system's CSPRNG.
 *
 * Protects against guessable identifiers and secrets (session ids, reset links, API-key secrets): `bytes` defaults
 * to 32 (256 bits) and values below 16 (128 bits, the floor for session ids per OWASP) are refused.
 */
export function randomToken(bytes: number = MIN_TOKEN_BYTES): string {
  if (!Number.isInteger(bytes) || bytes < 16 || bytes > 1024) {
    throw new ConfigurationError('randomToken needs between 16 and 1024 bytes of entropy');
  }
  return randomBytes(bytes).toString('base64url');
}
