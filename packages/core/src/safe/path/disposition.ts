// Characters that turn a file name into something else once a browser decodes it: controls (CR/LF split the header),
// bidirectional overrides ("invoice\u202Efdp.exe" displays as "invoiceexe.pdf") and lone surrogates.
const UNSAFE_IN_NAME = /[\p{Cc}\p{Cs}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;
// Outside printable ASCII (one `_` per code point), plus the three characters that end or escape a quoted-string, or that old browsers
// percent-decode inside one.
const NOT_FALLBACK_SAFE = /[^\x20-\x7E]|["\\%]/gu;
// RFC 8187 §3.2.1 attr-char: everything else is percent-encoded.
const ATTR_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;

/**
 * `Content-Disposition: attachment` with the file name in both forms of RFC 6266 §4.3: `filename="…"`, an ASCII
 * fallback where every unsafe character became `_`, and `filename*=UTF-8''…`, the exact name percent-encoded per
 * RFC 8187.
 *
 * Protects against header injection and parameter smuggling through the name (`a.pdf"; filename="evil.exe`,
 * CR LF, `;`), directory parts in a download name, and names that display differently from what they are (controls,
 * bidirectional overrides).
 */
export function contentDisposition(fileName: string): string {
  const name = (fileName.split(/[/\\]/).pop() ?? '').replace(UNSAFE_IN_NAME, '_') || 'download';
  const fallback = name.replace(NOT_FALLBACK_SAFE, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeExtValue(name)}`;
}

function encodeExtValue(value: string): string {
  let encoded = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const character = String.fromCharCode(byte);
    encoded += ATTR_CHAR.test(character) ? character : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}
