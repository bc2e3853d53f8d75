import { requireString, toWellFormed } from './well-formed.js';

// `encodeURIComponent` leaves the RFC 3986 sub-delimiters !'()* as they are; `'` and `(` matter in HTML and CSS contexts.
const SUB_DELIMITERS = /[!'()*]/g;

function percentEncode(c: string): string {
  return `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
}

/**
 * Encodes a value for one URL query parameter name or value, or one path segment, so untrusted data cannot add a
 * parameter (`&admin=1`), a fragment, a path segment or a new scheme/authority. The output holds only `A-Z a-z 0-9 - . _ ~`
 * and `%XX` (UTF-8, RFC 3986 §2.1), so it is also safe in a quoted HTML attribute and in a CSS `url("…")`. Lone
 * surrogates become U+FFFD (`encodeURIComponent` would throw).
 *
 * It does not make a whole URL safe: never use it for the start of an `href` (a scheme is chosen there, not encoded).
 * A path segment that is exactly `.` or `..` stays a dot segment after any encoding (WHATWG URL treats `%2e` as `.`):
 * refuse those values before building a path.
 */
export function encodeUrlComponent(value: string): string {
  return encodeURIComponent(toWellFormed(requireString(value, 'encodeUrlComponent'))).replace(SUB_DELIMITERS, percentEncode);
}
