/** The key a token is bound to (RFC 7800 `cnf`), in the two forms a resource server can check. */
export interface Confirmation {
  /** RFC 9449 §6.1: the RFC 7638 SHA-256 thumbprint of the client's DPoP key. */
  readonly jkt?: string;
  /** RFC 8705 §3.1: the SHA-256 thumbprint of the client's TLS certificate (DER). */
  readonly x5tS256?: string;
}

/** A SHA-256 digest in unpadded base64url: exactly 43 characters, the last one carrying 2 bits. */
const SHA256_BASE64URL = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

const UNBOUND: Confirmation = Object.freeze({});

/**
 * Reads the `cnf` claim. `'invalid'` when it is not an object, is empty, or holds a thumbprint that is not a SHA-256
 * digest; `'unsupported'` when it names a confirmation method this server cannot check (`jwk`, `kid`, `x5t`, …).
 * Both are refusals: a token bound to something that cannot be verified must not pass as a plain bearer token.
 */
export function confirmationOf(claims: Readonly<Record<string, unknown>>): Confirmation | 'invalid' | 'unsupported' {
  if (!Object.hasOwn(claims, 'cnf')) return UNBOUND;
  const cnf = claims.cnf;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) return 'invalid';
  const members = Object.keys(cnf);
  if (members.length === 0) return 'invalid';
  let jkt: string | undefined;
  let x5tS256: string | undefined;
  for (const member of members) {
    const value = (cnf as Record<string, unknown>)[member];
    if (member === 'jkt') {
      if (typeof value !== 'string' || !SHA256_BASE64URL.test(value)) return 'invalid';
      jkt = value;
    } else if (member === 'x5t#S256') {
      if (typeof value !== 'string' || !SHA256_BASE64URL.test(value)) return 'invalid';
      x5tS256 = value;
    } else {
      return 'unsupported';
    }
  }
  return { ...(jkt === undefined ? {} : { jkt }), ...(x5tS256 === undefined ? {} : { x5tS256 }) };
}
