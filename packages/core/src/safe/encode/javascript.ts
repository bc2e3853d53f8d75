import { requireString, toWellFormed } from './well-formed.js';

/*
 * Escaped: C0 controls, DEL and C1 controls (line breaks end a string literal; CR would be normalised away by the HTML
 * parser), U+2028/2029 (line terminators in string literals before ES2019, and in every browser's old engines), the
 * quotes of all three literal kinds and `$` (so `${` cannot start a template substitution), the backslash, and the
 * HTML-significant `<`, `>`, `&`, `/`, `=`: with them escaped, `</script`, `<!--` and `-->` (the sequences that end or
 * re-enter a script element's raw text, HTML §13.2.5.4 and §4.12.1.3) cannot appear, and the output is also safe
 * inside a quoted HTML attribute such as `onclick`.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const SPECIALS = /[\0-\x1F"$&'/<=>\\`\x7F-\x9F\u2028\u2029\uD800-\uDFFF]/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const REPLACE = /[\0-\x1F"$&'/<=>\\`\x7F-\x9F\u2028\u2029]/g;

function escapeCodeUnit(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Encodes a value for a JavaScript string literal (`"…"`, `'…'` or `` `…` ``), including one inside an inline
 * `<script>` block, so untrusted data cannot end the literal, end the script element (`</script>`), open an HTML
 * comment that swallows the rest of the page (`<!--<script>`), or break the line with U+2028. Only hex escapes are
 * emitted, so the output is plain ASCII punctuation plus the original non-ASCII text. Lone surrogates become U+FFFD.
 *
 * It encodes a string *value*: never use it to build code, identifiers or property names, and do not put its output in
 * an unquoted context. For data islands, prefer `JSON.stringify` of the data then this function on the JSON text.
 */
export function encodeJsString(value: string): string {
  const text = requireString(value, 'encodeJsString');
  if (!SPECIALS.test(text)) return text;
  return toWellFormed(text).replace(REPLACE, escapeCodeUnit);
}
