import { LdapInjectionError } from './errors.js';

/*
 * RFC 4512 §1.4 and §2.5:
 *   descr      = keystring = leadkeychar *keychar ; leadkeychar = ALPHA ; keychar = ALPHA / DIGIT / HYPHEN
 *   numericoid = number 1*( DOT number )           ; number = DIGIT / ( LDIGIT 1*DIGIT )
 *   attributedescription = attributetype options   ; options = *( SEMI option ) ; option = 1*keychar
 * ALPHA is ASCII only. Anything else in an attribute position — `(`, `)`, `=`, `*`, `\`, `:`, `,`, a space — would
 * change the filter or DN around it.
 */
const DESCR = '[A-Za-z][A-Za-z0-9-]*';
const NUMERICOID = '(?:0|[1-9][0-9]*)(?:\\.(?:0|[1-9][0-9]*))+';
const OID = new RegExp(`^(?:${DESCR}|${NUMERICOID})$`);
const ATTRIBUTE_DESCRIPTION = new RegExp(`^(?:${DESCR}|${NUMERICOID})(?:;[A-Za-z0-9-]+)*$`);

/** Far longer than any real attribute name or OID; bounds the work and the filter size. */
const MAX_ATTRIBUTE_LENGTH = 256;

function check(name: unknown, grammar: RegExp): string {
  if (typeof name !== 'string' || name.length > MAX_ATTRIBUTE_LENGTH || !grammar.test(name)) {
    throw new LdapInjectionError('LDAP_INVALID_ATTRIBUTE', typeof name === 'string' ? name : typeof name);
  }
  return name;
}

/**
 * Returns `name` if it is an RFC 4512 attribute description (`cn`, `userPassword`, `2.5.4.3`, `cn;lang-de`), or throws
 * `LDAP_INVALID_ATTRIBUTE`. Protects against injection through the attribute side of a filter — an attribute name
 * taken from input (a sort or search field) such as `uid=*)(|(cn` — which escaping the value cannot prevent.
 */
export function checkAttributeDescription(name: unknown): string {
  return check(name, ATTRIBUTE_DESCRIPTION);
}

/**
 * Returns `name` if it is an RFC 4512 `oid` (a `descr` or a `numericoid`, no options), the form an attribute type
 * takes in a DN (RFC 4514 §3) and a matching rule in an extensible filter (RFC 4515 §3); throws otherwise.
 */
export function checkOid(name: unknown): string {
  return check(name, OID);
}
