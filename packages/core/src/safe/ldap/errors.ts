import { RampartError } from '../../errors.js';

/** Why a value, attribute or filter was refused. Stable codes, part of the public API. */
export type LdapRefusal =
  /** Not an RFC 4512 attribute description (`descr` or `numericoid`, plus `;options` where a filter allows them). */
  | 'LDAP_INVALID_ATTRIBUTE'
  /** A value that is not a string, bytes, a safe integer or a boolean (an object or array from parsed input). */
  | 'LDAP_INVALID_VALUE'
  /** A string with a lone UTF-16 surrogate: it has no UTF-8 encoding, and LDAP strings are UTF-8 (RFC 4511 §4.1.2). */
  | 'LDAP_MALFORMED_STRING'
  /** `and`/`or` with no operands: `(&)`/`(|)` are RFC 4526 absolute true/false, not what a builder call means. */
  | 'LDAP_EMPTY_FILTER_LIST'
  /** A substring filter with no non-empty part: it would be `(attr=*)`, a presence test that matches every entry. */
  | 'LDAP_EMPTY_SUBSTRING'
  /** An operand that was not built by `ldapFilter` (a string concatenated from input, say). */
  | 'LDAP_INVALID_FILTER'
  /** A DN with no RDN, or an RDN with no attribute. */
  | 'LDAP_EMPTY_DN';

const MESSAGES: Readonly<Record<LdapRefusal, string>> = {
  LDAP_INVALID_ATTRIBUTE: 'An LDAP attribute description is not valid',
  LDAP_INVALID_VALUE: 'An LDAP assertion value is not a string, bytes, integer or boolean',
  LDAP_MALFORMED_STRING: 'An LDAP value is not well-formed Unicode',
  LDAP_EMPTY_FILTER_LIST: 'An LDAP and/or filter needs at least one operand',
  LDAP_EMPTY_SUBSTRING: 'An LDAP substring filter needs at least one non-empty part',
  LDAP_INVALID_FILTER: 'An LDAP filter operand was not built by ldapFilter',
  LDAP_EMPTY_DN: 'An LDAP distinguished name needs at least one RDN with at least one attribute',
};

/**
 * The refusal of an LDAP escaping or building function. `message` is fixed per `code` and never contains input;
 * `subject` shows what was refused (an attribute name, say), truncated and with everything outside printable ASCII
 * escaped, for developers and logs — do not send it to clients.
 */
export class LdapInjectionError extends RampartError<LdapRefusal> {
  /** The refused attribute name or a description of the refused value, sanitized; empty when there is nothing to show. */
  readonly subject: string;

  constructor(code: LdapRefusal, subject = '') {
    super(code, MESSAGES[code]);
    this.subject = sanitize(subject);
  }
}

const MAX_SUBJECT_CHARS = 64;

function sanitize(text: string): string {
  let out = '';
  for (const char of text.slice(0, MAX_SUBJECT_CHARS)) {
    const code = char.codePointAt(0) ?? 0;
    out += code >= 0x20 && code < 0x7f ? char : `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return text.length > MAX_SUBJECT_CHARS ? `${out}…` : out;
}
