// Types for the parts of `ldap-filter` 0.3 (the filter module of ldapjs) the example uses; the package ships none.
declare module 'ldap-filter' {
  export interface Filter {
    matches(entry: Record<string, unknown>, strictAttrCase?: boolean): boolean;
    toString(): string;
  }
  export function parse(filter: string): Filter;
  const ldapFilter: { parse: typeof parse };
  export default ldapFilter;
}
