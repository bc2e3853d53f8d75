import { requireString, toWellFormed } from './well-formed.js';

/*
 * Everything but ASCII letters and digits is escaped in ASCII, plus C1 controls and U+2028/2029; other non-ASCII text
 * is kept. A CSS escape is `\` + up to six hex digits + one optional whitespace that the escape consumes (CSS Syntax 3
 * §4.3.7), so we always add the space: the next character can then never be read as part of the escape.
 */
const SPECIALS = /[^A-Za-z0-9\u00A0-\u2027\u202A-\uD7FF\uE000-\uFFFF]/;
const REPLACE = /[^A-Za-z0-9\u00A0-\u2027\u202A-\uFFFF]/g;

function cssEscape(c: string): string {
  // CSS Syntax §3.3 turns U+0000 (raw or escaped) into U+FFFD: write what the parser will produce.
  if (c === '\0') return '\uFFFD';
  return `\\${c.charCodeAt(0).toString(16)} `;
}

/**
 * Encodes a value for a quoted CSS string (`content: "…"`, `font-family: '…'`, `url("…")`), in a `<style>` element or
 * a `style` attribute, so untrusted data cannot end the string and add declarations (`"; background: url(//evil)`),
 * end the rule or the style element (`</style><script>`), or an attribute (`"`, `&`). NUL and lone surrogates become
 * U+FFFD, as a CSS parser would make them.
 *
 * Not for unquoted values, property names or selectors. A URL still needs its scheme checked before it goes in `url()`.
 */
export function encodeCssString(value: string): string {
  const text = requireString(value, 'encodeCssString');
  if (!SPECIALS.test(text)) return text;
  return toWellFormed(text).replace(REPLACE, cssEscape);
}
