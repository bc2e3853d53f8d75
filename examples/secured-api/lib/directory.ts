/**
 * The staff directory, matched with LDAP search filters (RFC 4515). The filter is built with `ldapFilter` from
 * `@rampart/core/safe/ldap`, which escapes `*`, `(`, `)`, `\` and NUL in values, so a value stays a value.
 */
import { createRequire } from 'node:module';
import { ldapFilter } from '@rampart/core/safe/ldap';

/** The part of `ldap-filter` (an RFC 4515 parser and matcher) used here; the package ships no types. */
interface LdapFilterModule {
  parse(filter: string): { matches(entry: Readonly<Record<string, string>>): boolean };
}

const ldap = createRequire(import.meta.url)('ldap-filter') as LdapFilterModule;

export interface DirectoryEntry {
  readonly objectClass: string;
  readonly uid: string;
  readonly cn: string;
  readonly mail: string;
  readonly telephoneNumber: string;
}

export const DIRECTORY: readonly DirectoryEntry[] = [
  { objectClass: 'person', uid: 'admin', cn: 'Shop Admin', mail: 'admin@shop.example', telephoneNumber: '+1 555 0100' },
  { objectClass: 'person', uid: 'alice', cn: 'Alice', mail: 'alice@example.com', telephoneNumber: '+1 555 0101' },
  { objectClass: 'person', uid: 'bob', cn: 'Bob', mail: 'bob@example.com', telephoneNumber: '+1 555 0102' },
];

/** The entries whose uid is exactly `uid`. */
export function searchDirectory(uid: string): DirectoryEntry[] {
  const filter = ldapFilter.and(ldapFilter.eq('objectClass', 'person'), ldapFilter.eq('uid', uid));
  const matcher = ldap.parse(filter.text);
  return DIRECTORY.filter((entry) => matcher.matches({ ...entry }));
}
