import { describe, expect, it } from 'vitest';
import { readCorpus, refusal } from './corpus.fixtures.js';
import { createXmlParser } from './index.js';

const parser = createXmlParser();

function utf16le(text: string, bom: boolean): Buffer {
  return Buffer.from(bom ? `\uFEFF${text}` : text, 'utf16le');
}
function utf16be(text: string, bom: boolean): Buffer {
  return utf16le(text, bom).swap16();
}
function utf32(text: string, littleEndian: boolean, bom: boolean): Buffer {
  const codePoints: number[] = [];
  for (const character of bom ? `\uFEFF${text}` : text) codePoints.push(character.codePointAt(0) ?? 0);
  const bytes = Buffer.alloc(codePoints.length * 4);
  codePoints.forEach((codePoint, index) => {
    if (littleEndian) bytes.writeUInt32LE(codePoint, index * 4);
    else bytes.writeUInt32BE(codePoint, index * 4);
  });
  return bytes;
}

const ENCODINGS: readonly (readonly [string, (text: string) => Buffer])[] = [
  ['UTF-16LE with BOM', (text) => utf16le(text, true)],
  ['UTF-16BE with BOM', (text) => utf16be(text, true)],
  ['UTF-16LE without BOM', (text) => utf16le(text, false)],
  ['UTF-16BE without BOM', (text) => utf16be(text, false)],
  ['UTF-32LE with BOM', (text) => utf32(text, true, true)],
  ['UTF-32BE with BOM', (text) => utf32(text, false, true)],
  ['UTF-32BE without BOM', (text) => utf32(text, false, false)],
];

describe('UTF-16/UTF-32 DOCTYPE smuggling: every XXE payload of the corpus, re-encoded', () => {
  const payloads = readCorpus('doctype');

  it.each(ENCODINGS)('%s: invisible to a byte filter, refused as XML_ENCODING_UNSUPPORTED', (_name, encode) => {
    for (const payload of payloads) {
      const bytes = encode(payload);
      // The attack is real: a filter searching the bytes for "<!DOCTYPE" finds nothing.
      expect(bytes.includes('<!DOCTYPE')).toBe(false);
      const error = refusal(() => parser.parse(bytes));
      expect(error.code, payload).toBe('XML_ENCODING_UNSUPPORTED');
      expect(error.offset).toBe(0);
    }
  });

  it('baseline: a reader that honours the byte order mark sees the DOCTYPE', () => {
    const bytes = utf16le(payloads[0] ?? '', true);
    expect(new TextDecoder('utf-16le').decode(bytes)).toContain('<!DOCTYPE');
  });
});

describe('other encodings announced by their first bytes (XML 1.0 Appendix F)', () => {
  it('refuses the UTF-7 signature', () => {
    expect(refusal(() => parser.parse(Buffer.from('+/v8-<r/>', 'latin1'))).code).toBe('XML_ENCODING_UNSUPPORTED');
  });

  it('refuses EBCDIC ("<?xm" in code page 037)', () => {
    expect(refusal(() => parser.parse(Buffer.from([0x4c, 0x6f, 0xa7, 0x94, 0x40]))).code).toBe('XML_ENCODING_UNSUPPORTED');
  });

  it('refuses UTF-7 text without a declaration: "+ADw-" is not "<" in UTF-8', () => {
    const payload = '+ADw-!DOCTYPE foo +AFs-+ADw-!ENTITY xxe SYSTEM +ACI-file:///etc/passwd+ACI-+AD4-+AF0-+AD4-+ADw-foo+AD4-+ACY-xxe;+ADw-/foo+AD4-';
    const error = refusal(() => parser.parse(payload));
    expect(error.code).toBe('XML_MALFORMED');
    expect(error.reason).toBe('text outside the root element');
  });
});

describe('invalid UTF-8 is refused, never replaced', () => {
  it.each([
    ['overlong "." (the %c0%ae traversal byte pair)', [0xc0, 0xae]],
    ['overlong "<"', [0xc0, 0xbc]],
    ['three-byte overlong "<"', [0xe0, 0x80, 0xbc]],
    ['UTF-8-encoded surrogate', [0xed, 0xa0, 0x80]],
    ['lone continuation byte', [0x80]],
    ['truncated sequence', [0xe2, 0x82]],
    ['byte never valid in UTF-8', [0xff]],
  ])('%s', (_name, sequence) => {
    const bytes = Buffer.concat([Buffer.from('<r>'), Buffer.from(sequence), Buffer.from('</r>')]);
    expect(refusal(() => parser.parse(bytes)).code).toBe('XML_ENCODING_UNSUPPORTED');
  });
});

describe('characters XML forbids, in text handed over as a string', () => {
  it.each([
    ['NUL', '<r>a\u0000b</r>'],
    ['C0 control', '<r>\u0007</r>'],
    ['lone high surrogate', '<r>\uD800</r>'],
    ['lone low surrogate', '<r>\uDC00x</r>'],
    ['U+FFFE', '<r>\uFFFE</r>'],
    ['NUL inside a would-be DOCTYPE keyword', '<!\u0000DOCTYPE r><r/>'],
  ])('%s is refused as XML_MALFORMED', (_name, payload) => {
    expect(refusal(() => parser.parse(payload)).code).toBe('XML_MALFORMED');
  });

  it('accepts astral characters written directly and as references', () => {
    expect(parser.parse('<r>😀&#x1F600;</r>')).toEqual({ r: '😀😀' });
  });
});
