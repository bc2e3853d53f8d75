// Character classes of XML 1.0 (Fifth Edition) §2.2 and §2.3, as regular expressions that run in linear time.

/** Anything that is not a `Char` (§2.2): C0 controls other than TAB/LF/CR, lone surrogates, U+FFFE, U+FFFF. */
export const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

// NameStartChar and NameChar of §2.3, minus U+1680 and U+FEFF. Both are legal name characters in XML but are
// whitespace to JavaScript's `\s`, which fast-xml-parser uses to split a tag into name and attributes: allowing them
// would let the gate and the parser read two different names from the same bytes (a parser differential).
const NAME_START = ':A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u167F\\u1681-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFEFE\\uFF00-\\uFFFD\\u{10000}-\\u{EFFFF}';
// Combining marks first, so that no range starts right after a base character (which would read as one grapheme).
const NAME_REST = `\\u0300-\\u036F\\u203F-\\u2040${NAME_START}\\-.0-9\\u00B7`;

/** `Name` (§2.3), sticky: set `lastIndex`, then `exec`. */
export const NAME = new RegExp(`[${NAME_START}][${NAME_REST}]*`, 'uy');

/** Reads the `Name` that starts exactly at `index`, or `undefined` when none does. */
export function readName(text: string, index: number): string | undefined {
  NAME.lastIndex = index;
  return NAME.exec(text)?.[0];
}

/** `S` (§2.3): the only four whitespace characters XML knows. */
export function isXmlSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** Whether a code point may be the target of a character reference (§4.1, WFC: Legal Character). */
export function isXmlCharCode(codePoint: number): boolean {
  return (
    codePoint === 0x09 ||
    codePoint === 0x0a ||
    codePoint === 0x0d ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    (codePoint >= 0x10000 && codePoint <= 0x10ffff)
  );
}
