import fc from 'fast-check';
import { readFileSync } from 'node:fs';

/** Fragments that matter to at least one of the five contexts, so property runs hit them often rather than by luck. */
const DANGEROUS = [
  '<', '>', '&', '"', "'", '`', '/', '\\', '=', '$', '${', '</script', '</SCRIPT ', '<!--', '-->', '<script>', '</style',
  ']]>', '&amp;', '&#x3c;', '&lt', '\r', '\n', '\r\n', '\t', '\f', '\v', '\0', '\u0085', '\u2028', '\u2029', '\uFEFF',
  '\u0080', '\u009B', '\x1B', '\x7F', '\uD800', '\uDFFF', '\uD83D\uDE00', '\uDBFF', '%', '%2F', '+', '#', '?', ';', '}',
  ' ', '*/', '/*', '\\0 ', '\\22', 'a', '0', 'f', 'é', '€', '\u{10FFFF}', '\uFFFE',
];

const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));

/**
 * Arbitrary strings over all of UTF-16: whole code points (astral included), single code units (so lone surrogates),
 * and the dangerous fragments above.
 */
export const anyText: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.constantFrom(...DANGEROUS), fc.string({ unit: 'binary', maxLength: 4 }), codeUnit), { maxLength: 40 })
  .map((parts) => parts.join(''));

/** What a faithful encoder must yield for `text` once parsed: lone surrogates replaced, the rest untouched. */
export function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/**
 * Reads a corpus file: `#` lines are comments naming the source; every other non-empty line is one payload written as
 * a JSON string body with `"` left bare (a literal backslash is `\\`), so control characters are visible (`\n`, `\u0000`) and exact.
 */
export function readCorpus(name: string): string[] {
  const text = readFileSync(new URL(`./corpus/${name}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => JSON.parse(`"${line.replaceAll('"', '\\u0022')}"`) as string);
}
