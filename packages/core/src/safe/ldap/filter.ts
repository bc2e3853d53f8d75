import { checkAttributeDescription, checkOid } from './attribute.js';
import { LdapInjectionError } from './errors.js';
import { escapeFilterValue } from './escape.js';

/**
 * A value for an assertion: text, bytes (binary attributes such as `objectGUID`), a safe integer (Integer syntax,
 * RFC 4517 §3.3.16) or a boolean (Boolean syntax, §3.3.3: `TRUE`/`FALSE`).
 */
export type LdapValue = string | Uint8Array | number | bigint | boolean;

/** The parts of a substring assertion: `initial*any[0]*any[1]*final`. Empty parts are the same as absent ones. */
export interface SubstringParts {
  readonly initial?: LdapValue;
  readonly any?: readonly LdapValue[];
  readonly final?: LdapValue;
}

/** An extensible match (RFC 4515 §3): needs an attribute, a matching rule, or both. */
export interface ExtensibleMatch {
  readonly attribute?: string;
  /** Also match the attributes of the entry's DN (`:dn`). */
  readonly dn?: boolean;
  /** A matching rule OID or name, e.g. `caseExactMatch` or `2.4.6.8.10`. */
  readonly rule?: string;
  readonly value: LdapValue;
}

const BUILT = new WeakSet<LdapFilter>();
let make: (text: string) => LdapFilter;

/**
 * A search filter in the RFC 4515 string form, built only by {@link ldapFilter}: every attribute validated, every value
 * escaped. `and`/`or`/`not` accept only these objects, so a string assembled from input cannot be slipped in as an
 * operand. Use `text` (or `String(filter)`) to pass it to the LDAP client.
 */
export class LdapFilter {
  /** The filter string, e.g. `(&(objectClass=person)(uid=j\2a))`. */
  readonly text: string;

  private constructor(text: string) {
    this.text = text;
    BUILT.add(this);
    Object.freeze(this);
  }

  static {
    make = (text) => new LdapFilter(text);
  }

  toString(): string {
    return this.text;
  }
}

function assertionValue(value: unknown): string {
  if (typeof value === 'string' || value instanceof Uint8Array) return escapeFilterValue(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  throw new LdapInjectionError('LDAP_INVALID_VALUE', Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value);
}

function simple(attribute: string, operator: '=' | '~=' | '>=' | '<=', value: LdapValue): LdapFilter {
  return make(`(${checkAttributeDescription(attribute)}${operator}${assertionValue(value)})`);
}

function operands(filters: readonly LdapFilter[]): string {
  if (filters.length === 0) throw new LdapInjectionError('LDAP_EMPTY_FILTER_LIST');
  let text = '';
  for (const filter of filters) {
    if (!BUILT.has(filter)) throw new LdapInjectionError('LDAP_INVALID_FILTER', typeof filter);
    text += filter.text;
  }
  return text;
}

function part(value: LdapValue | undefined): string {
  return value === undefined ? '' : assertionValue(value);
}

/**
 * Builds RFC 4515 search filters from validated attribute descriptions and escaped values.
 *
 * Protects against LDAP injection through either side of an assertion: values are escaped with `escapeFilterValue`,
 * attribute names must match the RFC 4512 grammar, substring wildcards come only from the structure you choose, and
 * composition happens on objects rather than strings. `ldapFilter.and(ldapFilter.eq('objectClass', 'person'),
 * ldapFilter.eq('uid', input))` stays one AND of two equality matches for every possible `input`.
 */
export const ldapFilter = Object.freeze({
  /** `(attr=value)`: equality. A `*` in the value is a literal asterisk (`\2a`), never a wildcard. */
  eq: (attribute: string, value: LdapValue): LdapFilter => simple(attribute, '=', value),
  /** `(attr~=value)`: approximate match. */
  approx: (attribute: string, value: LdapValue): LdapFilter => simple(attribute, '~=', value),
  /** `(attr>=value)`: ordering, greater or equal. */
  ge: (attribute: string, value: LdapValue): LdapFilter => simple(attribute, '>=', value),
  /** `(attr<=value)`: ordering, less or equal. */
  le: (attribute: string, value: LdapValue): LdapFilter => simple(attribute, '<=', value),
  /** `(attr=*)`: the attribute is present. */
  present: (attribute: string): LdapFilter => make(`(${checkAttributeDescription(attribute)}=*)`),
  /**
   * `(attr=initial*any*…*final)`: the wildcards are placed by the structure, each part is escaped. Refuses
   * (`LDAP_EMPTY_SUBSTRING`) when every part is empty, which would be a presence test matching every entry.
   */
  substring: (attribute: string, parts: SubstringParts): LdapFilter => {
    const name = checkAttributeDescription(attribute);
    const anyParts: readonly unknown[] = parts.any ?? [];
    if (!Array.isArray(anyParts)) throw new LdapInjectionError('LDAP_INVALID_VALUE', typeof anyParts);
    const initial = part(parts.initial);
    const final = part(parts.final);
    const middle = anyParts.map((value) => assertionValue(value)).filter((value) => value.length > 0);
    if (initial.length === 0 && final.length === 0 && middle.length === 0) throw new LdapInjectionError('LDAP_EMPTY_SUBSTRING', name);
    return make(`(${name}=${initial}*${middle.map((value) => `${value}*`).join('')}${final})`);
  },
  /** `(&…)`: all operands match. At least one operand; each must come from `ldapFilter`. */
  and: (...filters: readonly LdapFilter[]): LdapFilter => make(`(&${operands(filters)})`),
  /** `(|…)`: some operand matches. At least one operand; each must come from `ldapFilter`. */
  or: (...filters: readonly LdapFilter[]): LdapFilter => make(`(|${operands(filters)})`),
  /** `(!…)`: the operand does not match. */
  not: (filter: LdapFilter): LdapFilter => make(`(!${operands([filter])})`),
  /** `(attr:dn:rule:=value)`: an extensible match (RFC 4515 §3); `attribute` or `rule` is required. */
  extensible: (match: ExtensibleMatch): LdapFilter => {
    if (match.attribute === undefined && match.rule === undefined) throw new LdapInjectionError('LDAP_INVALID_ATTRIBUTE', 'extensible match');
    const attribute = match.attribute === undefined ? '' : checkAttributeDescription(match.attribute);
    const dn = match.dn === true ? ':dn' : '';
    const rule = match.rule === undefined ? '' : `:${checkOid(match.rule)}`;
    return make(`(${attribute}${dn}${rule}:=${assertionValue(match.value)})`);
  },
});
