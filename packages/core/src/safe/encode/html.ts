import { REPLACEMENT_CHARACTER, requireString, toWellFormed } from './well-formed.js';

const TEXT_SPECIALS = /[&<>"'\r\0\uD800-\uDFFF]/;
const TEXT_REPLACE = /[&<>"'\r\0]/g;
const TEXT_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  // The HTML input stream turns a raw CR into LF (WHATWG HTML §13.2.3.5); a reference keeps it.
  '\r': '&#13;',
  // A raw NUL in text is dropped by the tree builder and `&#0;` becomes U+FFFD: U+FFFD is the only faithful output.
  '\0': REPLACEMENT_CHARACTER,
};

/**
 * Encodes text for HTML element content (`<p>…</p>`, also `<textarea>` and `<title>`), so untrusted text can never
 * open a tag, a comment or a character reference: `<`, `>`, `&`, `"` and `'` become references. Lone surrogates and
 * NUL become U+FFFD (what a browser would show anyway); everything else, CR included, reads back exactly.
 *
 * Not for `<script>` or `<style>` content (use `encodeJsString` / `encodeCssString`) nor attributes
 * (use {@link encodeHtmlAttribute}).
 */
export function encodeHtml(text: string): string {
  const value = requireString(text, 'encodeHtml');
  if (!TEXT_SPECIALS.test(value)) return value;
  return toWellFormed(value).replace(TEXT_REPLACE, (c) => TEXT_ENTITIES[c] ?? c);
}

/*
 * Every ASCII character except letters, digits and `,.-_` is encoded, as OWASP ESAPI does for attributes: the value is
 * then safe quoted with either quote and even unquoted, where space, `/`, `=`, `>` and a backtick (old IE) end or
 * change the value. Non-ASCII characters cannot end an attribute (HTML tokenizer §13.2.5.34-38) and stay as they are:
 * C1 controls must, since a numeric reference to 0x80-0x9F is remapped to Windows-1252 (§13.2.5.80).
 */
const ATTRIBUTE_SPECIALS = /[^A-Za-z0-9,.\-_\u0080-\uD7FF\uE000-\uFFFF]/;
const ATTRIBUTE_REPLACE = /[^A-Za-z0-9,.\-_\u0080-\uFFFF]/g;
const ATTRIBUTE_ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

function attributeReference(c: string): string {
  // In an attribute value a raw NUL becomes U+FFFD (§13.2.5.36); say so in the output rather than rely on it.
  if (c === '\0') return REPLACEMENT_CHARACTER;
  return ATTRIBUTE_ENTITIES[c] ?? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
}

/**
 * Encodes a value for an HTML attribute, so untrusted data cannot close the attribute and add another (`" onerror=…`),
 * close the tag (`"><script>`) or change meaning through a character reference. Safe inside double quotes, single
 * quotes, and unquoted. It does not make a URL safe in `href`/`src` (check the scheme: `javascript:` survives any
 * encoding) nor script safe in `on*` handlers (use `encodeJsString`, whose output is also attribute-safe).
 */
export function encodeHtmlAttribute(value: string): string {
  const text = requireString(value, 'encodeHtmlAttribute');
  if (!ATTRIBUTE_SPECIALS.test(text)) return text;
  return toWellFormed(text).replace(ATTRIBUTE_REPLACE, attributeReference);
}
