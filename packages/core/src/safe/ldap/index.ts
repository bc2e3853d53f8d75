export { checkAttributeDescription, checkOid } from './attribute.js';
export { formatDn, type Rdn } from './dn.js';
export { LdapInjectionError, type LdapRefusal } from './errors.js';
export { escapeDnValue, escapeFilterValue, type EscapeOptions } from './escape.js';
export { LdapFilter, ldapFilter, type ExtensibleMatch, type LdapValue, type SubstringParts } from './filter.js';
