export function phonebookFilter(term: string): string {
  return `(|(cn=*${term}*)(telephoneNumber=*${term}*))`;
}
