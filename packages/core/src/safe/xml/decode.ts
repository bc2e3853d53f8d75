import { XmlError } from './errors.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns the input into text, refusing anything over `maxBytes` before looking at it and anything that is not UTF-8.
 *
 * Why UTF-8 only: a document in UTF-16, UTF-32, UTF-7 or EBCDIC reads as noise to a byte-level filter in front of the
 * parser (`<\0!\0D\0O\0C\0T\0Y\0P\0E\0` does not contain `<!DOCTYPE`) but as markup to a parser that honours the byte
 * order mark or the declared encoding. Rampart decodes exactly one way, refuses the byte patterns of XML 1.0 Appendix F
 * that announce another encoding, and refuses invalid UTF-8 rather than replacing it (the scan refuses declarations of
 * another encoding).
 */
export function decodeXmlInput(input: string | Uint8Array, maxBytes: number): string {
  if (typeof input === 'string') {
    // Every UTF-16 code unit takes at least one UTF-8 byte: a string longer than the cap is refused without counting.
    if (input.length > maxBytes || Buffer.byteLength(input, 'utf8') > maxBytes) {
      throw new XmlError('XML_TOO_LARGE', maxBytes, 'over maxBytes');
    }
    return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  }
  if (!(input instanceof Uint8Array)) throw new TypeError('XML input must be a string or a Uint8Array');
  if (input.byteLength > maxBytes) throw new XmlError('XML_TOO_LARGE', maxBytes, 'over maxBytes');
  refuseOtherEncodings(input);
  try {
    return UTF8.decode(input);
  } catch {
    throw new XmlError('XML_ENCODING_UNSUPPORTED', 0, 'bytes are not valid UTF-8');
  }
}

function refuseOtherEncodings(bytes: Uint8Array): void {
  const [b0, b1, b2, b3] = bytes;
  // FE FF / FF FE: UTF-16 (or UTF-32 LE, FF FE 00 00) byte order marks.
  if ((b0 === 0xfe && b1 === 0xff) || (b0 === 0xff && b1 === 0xfe)) {
    throw new XmlError('XML_ENCODING_UNSUPPORTED', 0, 'UTF-16 or UTF-32 byte order mark');
  }
  // A NUL among the first four bytes: UTF-16 or UTF-32 without a byte order mark (00 3C 00 3F, 3C 00 3F 00, 00 00 00 3C…).
  if (b0 === 0 || b1 === 0 || b2 === 0 || b3 === 0) {
    throw new XmlError('XML_ENCODING_UNSUPPORTED', 0, 'UTF-16 or UTF-32 without byte order mark');
  }
  if (b0 === 0x4c && b1 === 0x6f && b2 === 0xa7 && b3 === 0x94) {
    throw new XmlError('XML_ENCODING_UNSUPPORTED', 0, 'EBCDIC');
  }
  // "+/v" followed by 8, 9, + or /: the UTF-7 signature.
  if (b0 === 0x2b && b1 === 0x2f && b2 === 0x76 && (b3 === 0x38 || b3 === 0x39 || b3 === 0x2b || b3 === 0x2f)) {
    throw new XmlError('XML_ENCODING_UNSUPPORTED', 0, 'UTF-7 signature');
  }
}
