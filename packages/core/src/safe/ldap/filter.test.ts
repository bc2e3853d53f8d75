import { describe, expect, it } from 'vitest';
import { checkAttributeDescription, checkOid, formatDn, LdapFilter, LdapInjectionError, ldapFilter } from './index.js';
import { parseFilter, parseFilterLeniently, search } from './ldap.fixtures.js';

const { and, or, not, eq, approx, ge, le, present, substring, extensible } = ldapFilter;

function refusal(action: () => unknown): LdapInjectionError {
  try {
    action();
  } catch (error) {
    if (error instanceof LdapInjectionError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('ldapFilter', () => {
  it('reproduces the RFC 4515 §4 filter examples', () => {
    expect(eq('cn', 'Babs Jensen').text).toBe('(cn=Babs Jensen)');
    expect(not(eq('cn', 'Tim Howes')).text).toBe('(!(cn=Tim Howes))');
    expect(and(eq('objectClass', 'Person'), or(eq('sn', 'Jensen'), substring('cn', { initial: 'Babs J' }))).text).toBe(
      '(&(objectClass=Person)(|(sn=Jensen)(cn=Babs J*)))',
    );
    expect(substring('o', { initial: 'univ', any: ['of'], final: 'mich' }).text).toBe('(o=univ*of*mich)');
    expect(substring('o', { initial: 'univ', any: ['of', 'mich'] }).text).toBe('(o=univ*of*mich*)');
    expect(eq('seeAlso', '').text).toBe('(seeAlso=)');
    expect(extensible({ attribute: 'cn', rule: 'caseExactMatch', value: 'Fred Flintstone' }).text).toBe('(cn:caseExactMatch:=Fred Flintstone)');
    expect(extensible({ attribute: 'cn', value: 'Betty Rubble' }).text).toBe('(cn:=Betty Rubble)');
    expect(extensible({ attribute: 'sn', dn: true, rule: '2.4.6.8.10', value: 'Barney Rubble' }).text).toBe('(sn:dn:2.4.6.8.10:=Barney Rubble)');
    expect(extensible({ attribute: 'o', dn: true, value: 'Ace Industry' }).text).toBe('(o:dn:=Ace Industry)');
    expect(extensible({ rule: '1.2.3', value: 'Wilma Flintstone' }).text).toBe('(:1.2.3:=Wilma Flintstone)');
    // RFC 4515 writes `(:DN:2.4.6.8.10:=Dino)`; "dn" is an ABNF literal, case-insensitive (RFC 5234 §2.3).
    expect(extensible({ dn: true, rule: '2.4.6.8.10', value: 'Dino' }).text).toBe('(:dn:2.4.6.8.10:=Dino)');
  });

  it('every filter it builds parses strictly as the RFC 4515 grammar, to the structure it was built with', () => {
    const filter = and(
      present('mail'),
      or(approx('cn', 'jon*'), ge('uidNumber', 1000), le('uidNumber', 2000n)),
      not(eq('nsAccountLock', true)),
      substring('cn;lang-de', { initial: '(', any: ['*', ''], final: ')' }),
      extensible({ attribute: 'ou', dn: true, value: 'x)(y' }),
    );
    expect(filter.text).toBe(
      '(&(mail=*)(|(cn~=jon\\2a)(uidNumber>=1000)(uidNumber<=2000))(!(nsAccountLock=TRUE))(cn;lang-de=\\28*\\2a*\\29)(ou:dn:=x\\29\\28y))',
    );
    expect(parseFilter(filter.text)).toMatchObject({ type: 'and', children: [{ type: 'present' }, { type: 'or' }, { type: 'not' }, { type: 'substring' }, { type: 'extensible' }] });
    expect(String(filter)).toBe(filter.text);
  });

  it('attack: a `*` in an equality value is a literal asterisk, not a wildcard', () => {
    // The unguarded filter matches every entry with a cn; the guarded one matches only a cn that is literally "*".
    expect(search(parseFilter('(cn=*)'))).toEqual([0, 1, 2]);
    expect(search(parseFilter(eq('cn', '*').text))).toEqual([]);
    expect(search(parseFilter(substring('cn', { any: ['*'] }).text))).toEqual([2]);
  });

  it('attack: an attribute name from input cannot carry filter syntax', () => {
    for (const attribute of ['uid=*)(|(cn', 'cn)', '(cn', 'cn=x', 'c n', 'cn:dn', 'cn*', '', '1cn', 'cn;', '1.', '01.2', 'ｃn', 'cn\u0000']) {
      expect(refusal(() => eq(attribute, 'x')).code).toBe('LDAP_INVALID_ATTRIBUTE');
    }
    const error = refusal(() => present('uid=*)(|(cn\n'));
    expect(error.message).not.toContain('uid=');
    expect(error.subject).toBe('uid=*)(|(cn\\u000a');
    expect(checkAttributeDescription('userPassword;binary')).toBe('userPassword;binary');
    expect(checkAttributeDescription('2.5.4.3')).toBe('2.5.4.3');
    expect(refusal(() => checkOid('cn;lang-de')).code).toBe('LDAP_INVALID_ATTRIBUTE');
    expect(refusal(() => eq('a'.repeat(257), 'x')).code).toBe('LDAP_INVALID_ATTRIBUTE');
    expect(refusal(() => extensible({ rule: 'caseExact)(x', value: 'x' })).code).toBe('LDAP_INVALID_ATTRIBUTE');
    expect(refusal(() => extensible({ value: 'x' })).code).toBe('LDAP_INVALID_ATTRIBUTE');
  });

  it('attack: a string cannot be passed where a built filter is expected', () => {
    const forged = '(uid=*)' as unknown as LdapFilter;
    expect(refusal(() => and(eq('objectClass', 'person'), forged)).code).toBe('LDAP_INVALID_FILTER');
    const lookalike: unknown = Object.freeze({ __proto__: LdapFilter.prototype, text: '(uid=*)' });
    expect(lookalike).toBeInstanceOf(LdapFilter);
    expect(refusal(() => or(lookalike as LdapFilter)).code).toBe('LDAP_INVALID_FILTER');
    expect(refusal(() => not(forged)).code).toBe('LDAP_INVALID_FILTER');
    expect(Object.isFrozen(eq('cn', 'x'))).toBe(true);
  });

  it('attack: an empty operand list would be an RFC 4526 absolute filter; it is refused', () => {
    // `(&)` is absolute true: with no group filters, an unguarded and(...[]) would admit everyone.
    expect(search(parseFilterLeniently('(&)'))).toEqual([0, 1, 2]);
    expect(refusal(() => and()).code).toBe('LDAP_EMPTY_FILTER_LIST');
    expect(refusal(() => or(...[])).code).toBe('LDAP_EMPTY_FILTER_LIST');
  });

  it('attack: a substring search with nothing to search for would match every entry; it is refused', () => {
    expect(refusal(() => substring('cn', {})).code).toBe('LDAP_EMPTY_SUBSTRING');
    expect(refusal(() => substring('cn', { initial: '', any: ['', ''], final: '' })).code).toBe('LDAP_EMPTY_SUBSTRING');
    expect(substring('cn', { initial: '', any: ['', 'smith', ''] }).text).toBe('(cn=*smith*)');
    expect(search(parseFilter(substring('cn', { any: ['smith'] }).text))).toEqual([1]);
  });

  it('attack: objects and arrays from parsed input are refused as values', () => {
    for (const value of [{ $ne: null }, ['a'], null, undefined, 1.5, Number.NaN, () => '*', Symbol('x')]) {
      expect(refusal(() => eq('uid', value as unknown as string)).code).toBe('LDAP_INVALID_VALUE');
    }
    expect(refusal(() => substring('cn', { any: 'a*' as unknown as string[] })).code).toBe('LDAP_INVALID_VALUE');
    expect(refusal(() => eq('uid', 'a\ud800')).code).toBe('LDAP_MALFORMED_STRING');
  });
});

describe('formatDn', () => {
  it('validates attribute types and refuses empty names', () => {
    expect(refusal(() => formatDn([{ 'uid,ou=admins': 'x' }])).code).toBe('LDAP_INVALID_ATTRIBUTE');
    expect(refusal(() => formatDn([{ 'cn;binary': 'x' }])).code).toBe('LDAP_INVALID_ATTRIBUTE');
    expect(refusal(() => formatDn([])).code).toBe('LDAP_EMPTY_DN');
    expect(refusal(() => formatDn([{}])).code).toBe('LDAP_EMPTY_DN');
    expect(refusal(() => formatDn([{ uid: 5 as unknown as string }])).code).toBe('LDAP_INVALID_VALUE');
    expect(refusal(() => formatDn('uid=x' as unknown as [])).code).toBe('LDAP_EMPTY_DN');
  });
});
