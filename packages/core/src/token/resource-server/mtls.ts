import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The RFC 8705 §3.1 certificate thumbprint: base64url(SHA-256(DER)), as it appears in a token's `cnf["x5t#S256"]`.
 */
export function certificateThumbprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}

/**
 * Whether the TLS client certificate is the one a certificate-bound token names (RFC 8705 §3). The digests are
 * compared in constant time, so the comparison tells nothing about how much of a guessed thumbprint was right.
 * `expected` is already known to be a canonical 43-character SHA-256 in base64url (see `confirmationOf`).
 */
export function certificateMatches(der: Uint8Array | undefined, expected: string): 'match' | 'missing' | 'mismatch' {
  if (der === undefined || der.byteLength === 0) return 'missing';
  const presented = createHash('sha256').update(der).digest();
  const bound = Buffer.from(expected, 'base64url');
  if (bound.length !== presented.length) return 'mismatch';
  return timingSafeEqual(presented, bound) ? 'match' : 'mismatch';
}
