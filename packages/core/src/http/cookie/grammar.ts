/*
 * Character classes of RFC 6265 §4.1.1 and RFC 9110 §5.6.2, as lookup tables: they run on every request (parsing the
 * Cookie header), so a table lookup per character beats a regular expression and never backtracks.
 */

function table(accept: (code: number) => boolean): Uint8Array {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) t[c] = accept(c) ? 1 : 0;
  return t;
}

const isAlphaNum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TCHAR = table((c) => isAlphaNum(c) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c)));

// cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E: US-ASCII without CTLs, whitespace, DQUOTE, comma,
// semicolon and backslash. Everything outside it can end the value, start a new attribute or split the header.
const COOKIE_OCTET = table(
  (c) => c === 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) || (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e),
);

function allIn(t: Uint8Array, s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || t[c] !== 1) return false;
  }
  return true;
}

/** `token` of RFC 9110 §5.6.2, the grammar of a cookie name (RFC 6265 §4.1.1). Empty is not a token. */
export function isToken(s: string): boolean {
  return s.length > 0 && allIn(TCHAR, s, 0, s.length);
}

/** A run of `cookie-octet`s (possibly empty). */
export function isCookieOctets(s: string): boolean {
  return allIn(COOKIE_OCTET, s, 0, s.length);
}

/** `cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE )` (RFC 6265 §4.1.1). */
export function isCookieValue(s: string): boolean {
  if (s.length >= 2 && s.charCodeAt(0) === 0x22 && s.charCodeAt(s.length - 1) === 0x22) {
    return allIn(COOKIE_OCTET, s, 1, s.length - 1);
  }
  return allIn(COOKIE_OCTET, s, 0, s.length);
}

// A hostname as RFC 6265 §4.1.2.3 expects it (RFC 1034 §3.5 as relaxed by RFC 1123 §2.1): dot-separated labels of
// letters, digits and inner hyphens, each 1-63 characters. No leading dot, no port, no trailing dot.
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Whether `s` is a syntactically valid Domain attribute value. */
export function isDomain(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  return s.split('.').every((label) => LABEL.test(label));
}
