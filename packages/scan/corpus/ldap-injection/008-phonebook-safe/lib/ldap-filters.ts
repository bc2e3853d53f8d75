import { filter } from 'ldap-escape';

export function phonebookFilter(term: string): string {
  return filter`(|(cn=*${term}*)(telephoneNumber=*${term}*))`;
}
