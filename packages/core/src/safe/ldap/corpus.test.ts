import { describe, expect, it } from 'vitest';
import { escapeDnValue, escapeFilterValue, formatDn, ldapFilter } from './index.js';
import { hasOnlyEscapedMetacharacters, parseDn, parseFilter, parseFilterLeniently, readCorpus, search, type FilterNode } from './ldap.fixtures.js';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** The structure a strict parser reads, or undefined when the text is not a valid filter. */
function strictly(text: string, allowEmptyLists = false): FilterNode | undefined {
  try {
    return parseFilter(text, { allowEmptyLists });
  } catch {
    return undefined;
  }
}

describe('corpus: filter injection into (&(objectClass=person)(uid=…))', () => {
  const intended = (value: string): FilterNode => ({
    type: 'and',
    children: [
      { type: 'eq', attribute: 'objectClass', value: utf8('person') },
      { type: 'eq', attribute: 'uid', value: utf8(value) },
    ],
  });

  for (const { source, line, payload } of readCorpus('filter-injection.txt')) {
    it(`line ${line} (${source}): ${JSON.stringify(payload)}`, () => {
      const unguarded = `(&(objectClass=person)(uid=${payload}))`;
      // The attack is real: concatenated, the filter is invalid or means something else, even to a lenient reader.
      expect(strictly(unguarded, true)).not.toEqual(intended(payload));
      expect(parseFilterLeniently(unguarded)).not.toEqual(intended(payload));

      const escaped = escapeFilterValue(payload);
      expect(hasOnlyEscapedMetacharacters(escaped)).toBe(true);
      const guarded = ldapFilter.and(ldapFilter.eq('objectClass', 'person'), ldapFilter.eq('uid', payload));
      expect(guarded.text).toBe(`(&(objectClass=person)(uid=${escaped}))`);
      expect(parseFilter(guarded.text)).toEqual(intended(payload));
      expect(parseFilterLeniently(guarded.text)).toEqual(intended(payload));
    });
  }
});

describe('corpus: authentication bypass in (&(uid=…)(userPassword=…))', () => {
  it('the honest login finds exactly the account, and a wrong password none', () => {
    expect(search(parseFilter(ldapFilter.and(ldapFilter.eq('uid', 'admin'), ldapFilter.eq('userPassword', 'Adm1n!')).text))).toEqual([0]);
    expect(search(parseFilter(ldapFilter.and(ldapFilter.eq('uid', 'admin'), ldapFilter.eq('userPassword', 'wrong')).text))).toEqual([]);
  });

  for (const { source, line, payload } of readCorpus('auth-bypass.txt')) {
    it(`line ${line} (${source}): ${JSON.stringify(payload)}`, () => {
      // Unguarded, a lenient reader finds an account although the password is wrong.
      const unguarded = `(&(uid=${payload})(userPassword=wrong))`;
      expect(search(parseFilterLeniently(unguarded)).length).toBeGreaterThan(0);

      const guarded = ldapFilter.and(ldapFilter.eq('uid', payload), ldapFilter.eq('userPassword', 'wrong')).text;
      expect(parseFilter(guarded)).toEqual({
        type: 'and',
        children: [
          { type: 'eq', attribute: 'uid', value: utf8(payload) },
          { type: 'eq', attribute: 'userPassword', value: utf8('wrong') },
        ],
      });
      expect(search(parseFilterLeniently(guarded))).toEqual([]);
    });
  }
});

describe('corpus: DN injection into uid=…,ou=people,dc=example,dc=com', () => {
  const intended = (value: string) => [
    [{ type: 'uid', value: utf8(value) }],
    [{ type: 'ou', value: utf8('people') }],
    [{ type: 'dc', value: utf8('example') }],
    [{ type: 'dc', value: utf8('com') }],
  ];

  for (const { source, line, payload } of readCorpus('dn-injection.txt')) {
    it(`line ${line} (${source}): ${JSON.stringify(payload)}`, () => {
      const unguarded = `uid=${payload},ou=people,dc=example,dc=com`;
      let parsed: unknown;
      try {
        parsed = parseDn(unguarded);
      } catch {
        parsed = 'invalid';
      }
      expect(parsed).not.toEqual(intended(payload));

      const guarded = formatDn([{ uid: payload }, { ou: 'people' }, { dc: 'example' }, { dc: 'com' }]);
      expect(guarded).toBe(`uid=${escapeDnValue(payload)},ou=people,dc=example,dc=com`);
      expect(parseDn(guarded)).toEqual(intended(payload));
    });
  }
});
