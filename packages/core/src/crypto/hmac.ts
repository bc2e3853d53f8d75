import { createHmac, type KeyObject } from 'node:crypto';

/**
 * HMAC-SHA256 (RFC 2104, FIPS 198-1) over `data`. The one place Rampart computes an HMAC, so the RFC 4231 vectors in
 * its tests cover every caller: blind indexes, CSRF tokens, pepper, session-id hashing.
 */
export function hmacSha256(key: KeyObject | Uint8Array, data: Uint8Array | string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}
