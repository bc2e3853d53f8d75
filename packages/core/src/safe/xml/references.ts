import { isXmlCharCode, readName } from './chars.js';
import { XmlError } from './errors.js';

// The five entities every XML processor knows without a DTD (XML 1.0 §4.6). No other entity can be declared, because
// a document with a DOCTYPE never gets this far: this is the whole entity table, so nothing can expand.
const PREDEFINED: ReadonlyMap<string, string> = new Map([
  ['lt', '<'],
  ['gt', '>'],
  ['amp', '&'],
  ['apos', "'"],
  ['quot', '"'],
]);

const MAX_CODE_POINT = 0x10ffff;

/**
 * Checks the reference that starts with the `&` at `index` (XML 1.0 §4.1) and returns the index just past its `;`.
 * A character reference must name a legal `Char`; an entity reference must name one of the five predefined entities.
 * `&xxe;` with no DTD is an undeclared entity: refused as `XML_ENTITY_FORBIDDEN`, because a processor that fetches an
 * external DTD some other way could still resolve it.
 */
export function checkReference(text: string, index: number, end: number): number {
  if (text.charCodeAt(index + 1) === 0x23 /* # */) {
    const hex = text.charCodeAt(index + 2) === 0x78; /* x */
    let cursor = index + (hex ? 3 : 2);
    const digitsStart = cursor;
    let value = 0;
    for (; cursor < end; cursor++) {
      const digit = digitValue(text.charCodeAt(cursor), hex);
      if (digit < 0) break;
      // Stop accumulating once out of range so that a thousand digits cannot overflow into a "valid" number.
      if (value <= MAX_CODE_POINT) value = value * (hex ? 16 : 10) + digit;
    }
    if (cursor === digitsStart || cursor >= end || text.charCodeAt(cursor) !== 0x3b /* ; */) {
      throw new XmlError('XML_MALFORMED', index, 'invalid character reference');
    }
    if (!isXmlCharCode(value)) throw new XmlError('XML_MALFORMED', index, 'character reference to a character XML forbids');
    return cursor + 1;
  }
  const name = readName(text, index + 1);
  const semicolon = index + 1 + (name?.length ?? 0);
  if (name === undefined || semicolon >= end || text.charCodeAt(semicolon) !== 0x3b /* ; */) {
    throw new XmlError('XML_MALFORMED', index, "'&' that does not start a reference");
  }
  if (!PREDEFINED.has(name)) throw new XmlError('XML_ENTITY_FORBIDDEN', index, 'reference to an undeclared entity');
  return semicolon + 1;
}

function digitValue(code: number, hex: boolean): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (!hex) return -1;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  return -1;
}

const REFERENCE = /&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|([A-Za-z]+));/g;

/**
 * Replaces the references of a text that {@link checkReference} has accepted: the five predefined entities and
 * character references, nothing else. A reference it does not know is left as written (the gate refuses those first).
 */
export function decodeReferences(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(REFERENCE, (reference, hex: string | undefined, decimal: string | undefined, name: string | undefined) => {
    if (name !== undefined) return PREDEFINED.get(name) ?? reference;
    const codePoint = hex === undefined ? Number.parseInt(decimal ?? '', 10) : Number.parseInt(hex, 16);
    return isXmlCharCode(codePoint) ? String.fromCodePoint(codePoint) : reference;
  });
}
