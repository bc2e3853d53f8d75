import { LdapInjectionError } from './errors.js';

export interface EscapeOptions {
  /**
   * Also escape every non-ASCII character as its UTF-8 bytes (`Lučić` → `Lu\c4\8di\c4\87`), as RFC 4515 §4 and RFC 4514
   * §4 show for printable-ASCII output. Off by default: UTF-8 text is valid as it is, and escaping is only needed for
   * servers or logs that mishandle it.
   */
  readonly escapeNonAscii?: boolean;
}

const LONE_SURROGATE = /\p{Cs}/u;
const UTF8 = new TextEncoder();

/** `\xx` for each octet: the escape both RFCs define ("a backslash followed by two hexadecimal digits"). */
export function hexEscape(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += `\\${byte.toString(16).padStart(2, '0')}`;
  return out;
}

export function checkWellFormed(value: string): void {
  // A lone surrogate has no UTF-8 encoding; TextEncoder would silently turn it into U+FFFD and change the value.
  if (LONE_SURROGATE.test(value)) throw new LdapInjectionError('LDAP_MALFORMED_STRING');
}

export function isControl(code: number): boolean {
  return code < 0x20 || code === 0x7f;
}

/**
 * Escapes a value for the assertion-value position of an LDAP search filter, per RFC 4515 §3: NUL, `(`, `)`, `*` and
 * `\` become `\00`, `\28`, `\29`, `\2a`, `\5c`; other ASCII control characters are escaped too (the RFC allows it, and
 * a CR or LF has no business in a filter log line). Bytes (`Uint8Array`, e.g. an `objectGUID`) are escaped octet by
 * octet, since they need not be UTF-8 and the filter string must be.
 *
 * Protects against LDAP filter injection: `*)(uid=*))(|(uid=*` or `admin)(&)` can no longer close the assertion and
 * add filters of their own, `*` can no longer turn an equality match into a wildcard, and NUL can no longer cut the
 * filter short in C code. Throws `LDAP_MALFORMED_STRING` for a string with a lone surrogate.
 */
export function escapeFilterValue(value: string | Uint8Array, options: EscapeOptions = {}): string {
  if (value instanceof Uint8Array) return hexEscape(value);
  if (typeof value !== 'string') throw new LdapInjectionError('LDAP_INVALID_VALUE', typeof value);
  checkWellFormed(value);
  const escapeNonAscii = options.escapeNonAscii === true;
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (code === 0x28 || code === 0x29 || code === 0x2a || code === 0x5c || isControl(code) || (escapeNonAscii && code > 0x7f)) {
      out += hexEscape(UTF8.encode(char));
    } else {
      out += char;
    }
  }
  return out;
}

/** Characters RFC 4514 §2.4 requires escaped anywhere in a value; it allows the `\c` form for each of them. */
const DN_SPECIAL = new Set(['"', '+', ',', ';', '<', '>', '\\']);

/**
 * Escapes a string for the attribute-value position of a distinguished name, per RFC 4514 §2.4: `"`, `+`, `,`, `;`,
 * `<`, `>` and `\` anywhere, `#` or a space at the start and a space at the end are prefixed with `\`; NUL and the other
 * ASCII control characters become `\xx` (the RFC requires it for NUL and allows it for the rest, as its own
 * `CN=Before\0dAfter` example does). `=` is not escaped: RFC 4514 allows but does not require it.
 *
 * Protects against DN injection: `admin,ou=admins` cannot add an RDN, `x+uid=admin` cannot make the RDN multi-valued,
 * `#04024869` cannot switch to the BER hex form, and padding spaces cannot silently disappear. Throws
 * `LDAP_MALFORMED_STRING` for a string with a lone surrogate.
 */
export function escapeDnValue(value: string, options: EscapeOptions = {}): string {
  if (typeof value !== 'string') throw new LdapInjectionError('LDAP_INVALID_VALUE', typeof value);
  checkWellFormed(value);
  const escapeNonAscii = options.escapeNonAscii === true;
  const chars = Array.from(value);
  const last = chars.length - 1;
  return chars
    .map((char, index) => {
      const code = char.codePointAt(0) ?? 0;
      if (DN_SPECIAL.has(char)) return `\\${char}`;
      if ((index === 0 && (char === ' ' || char === '#')) || (index === last && char === ' ')) return `\\${char}`;
      if (isControl(code) || (escapeNonAscii && code > 0x7f)) return hexEscape(UTF8.encode(char));
      return char;
    })
    .join('');
}
