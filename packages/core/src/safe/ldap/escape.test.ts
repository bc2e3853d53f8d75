import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeDnValue, escapeFilterValue, formatDn, LdapInjectionError, ldapFilter } from './index.js';
import { hasOnlyEscapedMetacharacters, parseDn, parseFilter } from './ldap.fixtures.js';

/** RFC 5234 §2.3 / RFC 4512 HEX: hex digits are case-insensitive, so `\2A` and `\2a` are the same escape. */
const foldHex = (text: string) => text.replace(/\\([0-9A-Fa-f]{2})/g, (_, hex: string) => `\\${hex.toLowerCase()}`);

function code(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof LdapInjectionError) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('escapeFilterValue: RFC 4515 §3', () => {
  it('escapes exactly the five characters the RFC requires, as \\xx', () => {
    expect(escapeFilterValue('*')).toBe('\\2a');
    expect(escapeFilterValue('(')).toBe('\\28');
    expect(escapeFilterValue(')')).toBe('\\29');
    expect(escapeFilterValue('\\')).toBe('\\5c');
    expect(escapeFilterValue('\u0000')).toBe('\\00');
    expect(escapeFilterValue('Babs Jensen & co | !=~<>:;,#+"\'')).toBe('Babs Jensen & co | !=~<>:;,#+"\'');
  });

  it('also escapes the other ASCII control characters, which the RFC allows', () => {
    expect(escapeFilterValue('a\r\nb\t\u007f')).toBe('a\\0d\\0ab\\09\\7f');
  });

  it('leaves UTF-8 text as it is, and escapes it byte by byte on request', () => {
    expect(escapeFilterValue('Lučić')).toBe('Lučić');
    expect(escapeFilterValue('Lučić', { escapeNonAscii: true })).toBe('Lu\\c4\\8di\\c4\\87');
    expect(escapeFilterValue('😀', { escapeNonAscii: true })).toBe('\\f0\\9f\\98\\80');
    // Lookalike parentheses and asterisks are ordinary characters to LDAP: nothing to escape, nothing to fear.
    expect(escapeFilterValue('（＊）')).toBe('（＊）');
  });

  it('escapes bytes octet by octet', () => {
    expect(escapeFilterValue(new Uint8Array([0, 0, 0, 4]))).toBe('\\00\\00\\00\\04');
    expect(escapeFilterValue(new Uint8Array([0x04, 0x02, 0x48, 0x69]))).toBe('\\04\\02\\48\\69');
  });

  it('refuses strings with lone surrogates and values that are not strings or bytes', () => {
    expect(code(() => escapeFilterValue('a\ud800'))).toBe('LDAP_MALFORMED_STRING');
    expect(code(() => escapeFilterValue({ toString: () => '*' } as unknown as string))).toBe('LDAP_INVALID_VALUE');
  });

  it('reproduces the RFC 4515 §4 escaping examples', () => {
    const { eq, substring } = ldapFilter;
    expect(eq('o', 'Parens R Us (for all your parenthetical needs)').text).toBe('(o=Parens R Us \\28for all your parenthetical needs\\29)');
    expect(foldHex(substring('cn', { any: ['*'] }).text)).toBe(foldHex('(cn=*\\2A*)'));
    expect(eq('filename', 'C:\\MyFile').text).toBe('(filename=C:\\5cMyFile)');
    expect(eq('bin', new Uint8Array([0, 0, 0, 4])).text).toBe('(bin=\\00\\00\\00\\04)');
    expect(`(sn=${escapeFilterValue('Lučić', { escapeNonAscii: true })})`).toBe('(sn=Lu\\c4\\8di\\c4\\87)');
    expect(eq('1.3.6.1.4.1.1466.0', new Uint8Array([0x04, 0x02, 0x48, 0x69])).text).toBe('(1.3.6.1.4.1.1466.0=\\04\\02\\48\\69)');
  });

  it('property: any string becomes a value that parses back to exactly its UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.boolean(), (value, escapeNonAscii) => {
        const escaped = escapeFilterValue(value, { escapeNonAscii });
        expect(hasOnlyEscapedMetacharacters(escaped)).toBe(true);
        expect(parseFilter(`(uid=${escaped})`)).toEqual({ type: 'eq', attribute: 'uid', value: Buffer.from(value, 'utf8') });
      }),
      { numRuns: 500, seed: 4515 },
    );
  });
});

describe('escapeDnValue: RFC 4514 §2.4', () => {
  it('prefixes the characters required anywhere with a backslash', () => {
    expect(escapeDnValue('"+,;<>\\')).toBe('\\"\\+\\,\\;\\<\\>\\\\');
    expect(escapeDnValue('a=b')).toBe('a=b');
    expect(escapeDnValue('a#b c*()')).toBe('a#b c*()');
  });

  it('escapes a leading space or #, a trailing space, and NUL', () => {
    expect(escapeDnValue(' a')).toBe('\\ a');
    expect(escapeDnValue('#a')).toBe('\\#a');
    expect(escapeDnValue('a ')).toBe('a\\ ');
    expect(escapeDnValue(' ')).toBe('\\ ');
    expect(escapeDnValue('  ')).toBe('\\ \\ ');
    expect(escapeDnValue('a\u0000b')).toBe('a\\00b');
    expect(escapeDnValue('a # b')).toBe('a # b');
    expect(escapeDnValue('')).toBe('');
  });

  it('reproduces the RFC 4514 §4 examples', () => {
    expect(formatDn([{ UID: 'jsmith' }, { DC: 'example' }, { DC: 'net' }])).toBe('UID=jsmith,DC=example,DC=net');
    expect(formatDn([{ OU: 'Sales', CN: 'J.  Smith' }, { DC: 'example' }, { DC: 'net' }])).toBe('OU=Sales+CN=J.  Smith,DC=example,DC=net');
    expect(formatDn([{ CN: 'James "Jim" Smith, III' }, { DC: 'example' }, { DC: 'net' }])).toBe('CN=James \\"Jim\\" Smith\\, III,DC=example,DC=net');
    expect(formatDn([{ CN: 'Before\rAfter' }, { DC: 'example' }, { DC: 'net' }])).toBe('CN=Before\\0dAfter,DC=example,DC=net');
    expect(formatDn([{ '1.3.6.1.4.1.1466.0': new Uint8Array([0x04, 0x02, 0x48, 0x69]) }])).toBe('1.3.6.1.4.1.1466.0=#04024869');
    expect(foldHex(formatDn([{ CN: 'Lučić' }], { escapeNonAscii: true }))).toBe(foldHex('CN=Lu\\C4\\8Di\\C4\\87'));
    expect(formatDn([{ CN: 'Lučić' }])).toBe('CN=Lučić');
  });

  it('refuses strings with lone surrogates', () => {
    expect(code(() => escapeDnValue('\udc00'))).toBe('LDAP_MALFORMED_STRING');
  });

  it('property: any string becomes a value that parses back to exactly its UTF-8 bytes, in one RDN', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.boolean(), (value, escapeNonAscii) => {
        const dn = formatDn([{ uid: value }, { dc: 'example' }], { escapeNonAscii });
        expect(parseDn(dn)).toEqual([[{ type: 'uid', value: Buffer.from(value, 'utf8') }], [{ type: 'dc', value: Buffer.from('example') }]]);
      }),
      { numRuns: 500, seed: 4514 },
    );
  });
});
