import { checkOid } from './attribute.js';
import { LdapInjectionError } from './errors.js';
import { escapeDnValue, type EscapeOptions } from './escape.js';

/**
 * One relative distinguished name: attribute type → value. Several entries make a multi-valued RDN (`OU=Sales+CN=J.
 * Smith`). A `Uint8Array` value is the BER encoding of the value, written in the `#hex` form (RFC 4514 §2.4).
 */
export type Rdn = Readonly<Record<string, string | Uint8Array>>;

function hexForm(ber: Uint8Array): string {
  let out = '#';
  for (const byte of ber) out += byte.toString(16).padStart(2, '0');
  return out;
}

function formatRdn(candidate: unknown, options: EscapeOptions): string {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) throw new LdapInjectionError('LDAP_EMPTY_DN');
  const rdn = candidate as Readonly<Record<string, unknown>>;
  const types = Object.keys(rdn);
  if (types.length === 0) throw new LdapInjectionError('LDAP_EMPTY_DN');
  return types
    .map((type) => {
      const value = rdn[type];
      if (value instanceof Uint8Array) return `${checkOid(type)}=${hexForm(value)}`;
      if (typeof value !== 'string') throw new LdapInjectionError('LDAP_INVALID_VALUE', typeof value);
      return `${checkOid(type)}=${escapeDnValue(value, options)}`;
    })
    .join('+');
}

/**
 * Formats a distinguished name (RFC 4514 §2) from RDNs, most specific first:
 * `formatDn([{ uid: input }, { ou: 'people' }, { dc: 'example' }, { dc: 'com' }])`.
 *
 * Protects against DN injection: attribute types must be RFC 4512 `descr`/`numericoid`, every string value is escaped
 * with `escapeDnValue`, so a value such as `jsmith,ou=admins` or `x+uid=admin` stays one attribute value of one RDN.
 */
export function formatDn(rdns: readonly Rdn[], options: EscapeOptions = {}): string {
  const list: unknown = rdns;
  if (!Array.isArray(list) || list.length === 0) throw new LdapInjectionError('LDAP_EMPTY_DN');
  return (list as readonly unknown[]).map((rdn) => formatRdn(rdn, options)).join(',');
}
