import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/*
 * `crypto.timingSafeEqual` throws on inputs of different lengths, and an early `length !==` check leaks the length of
 * the secret through timing. Comparing fixed-size HMACs of both sides under a per-process random key makes the
 * comparison independent of both length and content: equal digests imply equal inputs (HMAC-SHA256 collision
 * resistance), and the attacker cannot steer the digests without the key.
 */
const comparisonKey = randomBytes(32);

function digest(value: Uint8Array | string): Buffer {
  return createHmac('sha256', comparisonKey).update(value).digest();
}

/**
 * Compares two byte strings in time that depends on neither their content nor their lengths.
 *
 * Protects against timing attacks on secrets (tokens, MACs, API keys) in which an attacker learns a secret byte by
 * byte, or its length, from how long a comparison takes.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * Compares two strings (as UTF-8) in time that depends on neither their content nor their lengths.
 * See {@link constantTimeEqual}. Non-string input (from an untrusted JSON body, say) compares unequal, never throws.
 */
export function constantTimeEqualString(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  return timingSafeEqual(digest(a), digest(b));
}
