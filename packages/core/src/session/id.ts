import { hash } from 'node:crypto';
import { randomToken } from '../crypto/random.js';

/** 32 bytes from the CSPRNG: 256 bits, twice OWASP's 128-bit floor for session ids. */
export const SESSION_ID_BYTES = 32;

/** base64url of 32 bytes, unpadded. */
const SESSION_ID_LENGTH = 43;

/** base64url alphabet, as a table: `validate` runs on every request. */
const BASE64URL = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') BASE64URL[ch.charCodeAt(0)] = 1;

/** A fresh session id: the bearer secret that goes into the cookie and nowhere else. */
export function newSessionId(): string {
  return randomToken(SESSION_ID_BYTES);
}

/** A fresh public handle: names a session in lists and revocation UIs without being able to authenticate. */
export function newSessionHandle(): string {
  return randomToken(16);
}

/**
 * Whether `value` has the shape of a session id (43 base64url characters). Checked before hashing or any store
 * lookup, so garbage of any type or size is refused in constant, tiny work and never reaches the store.
 */
export function isWellFormedSessionId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== SESSION_ID_LENGTH) return false;
  for (let i = 0; i < SESSION_ID_LENGTH; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || BASE64URL[c] !== 1) return false;
  }
  return true;
}

/**
 * The store key of a session: SHA-256 of the id, base64url.
 *
 * The store never sees the raw id, so a leaked store (backup, replica, SQL injection elsewhere) yields no usable
 * session: presenting a key as an id hashes it again. A fast, unsalted hash suffices because the input is 256 uniformly
 * random bits: slow hashes and salts exist to stop guessing low-entropy secrets such as passwords, while inverting
 * SHA-256 on a random 256-bit input costs about 2^256 work however fast each hash is, and even against N stored keys
 * at once about 2^256 / N. Looking sessions up by hash also means the timing of the store's index lookup depends on
 * the hash of what the attacker sent, which says nothing usable about any stored id.
 */
export function sessionKey(id: string): string {
  // One-shot `crypto.hash` (Node ≥ 20.12): no Hash object per call, which matters on every request.
  return hash('sha256', id, 'base64url');
}
