import { randomInt } from 'node:crypto';

/**
 * Crockford's base32 alphabet, lower case: 32 symbols without `i`, `l`, `o`, `u`, so a code read off paper or a
 * screen cannot be mistyped as another valid code.
 */
export const BACKUP_CODE_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Symbols per code: 10 × 5 bits = 50 bits of entropy. */
export const BACKUP_CODE_LENGTH = 10;

/** Longest input looked at; longer input is malformed before any work is spent on it. */
const MAX_INPUT_LENGTH = 64;

const CANONICAL = /^[0-9abcdefghjkmnpqrstvwxyz]{10}$/;
// Separators people type or paste: whitespace, ASCII hyphen and the Unicode dashes/minus of word processors.
const SEPARATORS = /[\s\u002d\u2010-\u2015\u2212]+/gu;
// Crockford decoding of the look-alikes that the alphabet leaves out.
const LOOKALIKES: Readonly<Record<string, string>> = { o: '0', i: '1', l: '1' };

/**
 * Draws one backup code (canonical form, 10 symbols) from `node:crypto`'s `randomInt`, which is uniform over the
 * alphabet (no modulo bias).
 *
 * Protects against guessable recovery codes: 50 bits per code, so an online guesser facing 10 live codes needs
 * ~2^46 tries on average, far beyond any rate limit.
 */
export function generateBackupCode(): string {
  let code = '';
  for (let i = 0; i < BACKUP_CODE_LENGTH; i += 1) code += BACKUP_CODE_ALPHABET.charAt(randomInt(BACKUP_CODE_ALPHABET.length));
  return code;
}

/** Displays a canonical code as `xxxxx-xxxxx`, easier to copy by hand. */
export function formatBackupCode(canonical: string): string {
  return `${canonical.slice(0, 5)}-${canonical.slice(5)}`;
}

/**
 * Brings user input to the canonical form (case, spaces, dashes and look-alike letters forgiven), or `undefined`.
 *
 * Protects the verifier from hostile input: non-strings, huge strings and foreign symbols never reach hashing or the
 * store, so consumption cannot throw on its input.
 */
export function normalizeBackupCode(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > MAX_INPUT_LENGTH) return undefined;
  const compact = input.replace(SEPARATORS, '').toLowerCase().replace(/[oil]/g, (c) => LOOKALIKES[c] ?? c);
  return CANONICAL.test(compact) ? compact : undefined;
}
