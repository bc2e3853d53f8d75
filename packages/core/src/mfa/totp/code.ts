/** Longest input looked at; anything longer is malformed before any regex or HMAC work is spent on it. */
const MAX_INPUT_LENGTH = 64;

const PATTERNS: Readonly<Record<number, RegExp>> = {
  6: /^[0-9]{6}$/,
  7: /^[0-9]{7}$/,
  8: /^[0-9]{8}$/,
};

/**
 * Normalises a user-typed one-time code: whitespace removed (apps display `123 456`), then exactly `digits` ASCII
 * digits, or `undefined`.
 *
 * Protects the verifier from hostile input: non-strings, huge strings, Unicode digits and signs never reach the
 * comparison, so verification cannot throw or be made slow by its input.
 */
export function normalizeTotpCode(input: unknown, digits: number): string | undefined {
  if (typeof input !== 'string' || input.length > MAX_INPUT_LENGTH) return undefined;
  const compact = input.replace(/\s+/gu, '');
  const pattern = PATTERNS[digits];
  return pattern?.test(compact) === true ? compact : undefined;
}
