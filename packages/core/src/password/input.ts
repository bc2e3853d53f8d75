import { fail, ok, type Result } from '../result.js';
import type { PasswordInputProblem } from './errors.js';

/** Default bound on a password's size, in UTF-8 bytes, checked before normalization and again after it. */
export const DEFAULT_MAX_PASSWORD_BYTES = 1024;

/**
 * The bound may not go below this: NIST SP 800-63B asks verifiers to accept at least 64 characters, and 64 code points
 * take at most 256 bytes in UTF-8.
 */
export const MIN_MAX_PASSWORD_BYTES = 256;

/**
 * A UTF-16 surrogate without its partner (in `u` mode a valid pair is one code point, so only lone halves match): not a
 * Unicode string, and UTF-8 would silently turn it into U+FFFD, making distinct inputs the same password.
 */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Checks and normalizes a password exactly as the hasher and the policy see it, never throwing:
 *
 * 1. not a string, or empty → `invalid_input`;
 * 2. more UTF-16 units than `maxBytes` → `too_long` (a UTF-8 encoding is never shorter than the UTF-16 one, so this
 *    refuses a megabyte string without even counting its bytes);
 * 3. more than `maxBytes` bytes as UTF-8 → `too_long`;
 * 4. lone surrogates → `invalid_input`;
 * 5. Unicode NFKC (so "ﬁ" and "fi", or full-width and ASCII digits, are the same password), then the byte bound again,
 *    since NFKC can expand a string.
 *
 * Returns the normalized string. Nothing here echoes the input.
 */
export function normalizePassword(input: unknown, maxBytes: number = DEFAULT_MAX_PASSWORD_BYTES): Result<string, PasswordInputProblem> {
  if (typeof input !== 'string' || input.length === 0) return fail('invalid_input');
  if (input.length > maxBytes || Buffer.byteLength(input, 'utf8') > maxBytes) return fail('too_long');
  if (LONE_SURROGATE.test(input)) return fail('invalid_input');
  const normalized = input.normalize('NFKC');
  if (Buffer.byteLength(normalized, 'utf8') > maxBytes) return fail('too_long');
  return ok(normalized);
}
