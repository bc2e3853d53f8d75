/**
 * A UTF-16 code unit that is half of a surrogate pair with no other half. It cannot be written as UTF-8, so a page or
 * log line holding one is either rejected by the encoder that sends it or silently gets U+FFFD there. Deciding here,
 * once and visibly, keeps every encoder's output equal to what the browser will actually see.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** U+FFFD REPLACEMENT CHARACTER: what lone surrogates (and, in HTML and CSS, NUL) become. */
export const REPLACEMENT_CHARACTER = '\uFFFD';

/**
 * Replaces every lone surrogate with U+FFFD, as `String.prototype.toWellFormed` (ES2024) does; pairs are kept. Protects
 * against encoders that would otherwise throw (`encodeURIComponent`) or emit half a character that a later UTF-8 step
 * turns into something the encoder never checked.
 */
export function toWellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, REPLACEMENT_CHARACTER);
}

/** Throws a `TypeError` for non-strings: encoding `String(value)` of an object would hide a programming error. */
export function requireString(value: unknown, encoder: string): string {
  if (typeof value !== 'string') throw new TypeError(`${encoder} expects a string, got ${typeof value}`);
  return value;
}
