/**
 * The staff directory: entries matched with LDAP search filters (RFC 4515, `ldap-filter`), as an LDAP server would.
 * DELIBERATELY INSECURE: `searchDirectory` writes the caller's text into the filter (CWE-90), so `*` lists everyone
 * and `x)(|(uid=*` rewrites the query.
 */
import ldap from 'ldap-filter';

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

/** The directory entries whose uid is `uid`. */
export function searchDirectory(uid: string): DirectoryEntry[] {
  const filter = ldap.parse(`(&(objectClass=person)(uid=${uid}))`);
  return DIRECTORY.filter((entry) => filter.matches({ ...entry }));
}
