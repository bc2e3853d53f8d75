import { timingSafeEqual } from 'node:crypto';
import { hmacSha256 } from '../../crypto/hmac.js';
import type { KeyRing } from '../../crypto/keyring.js';
import { randomToken } from '../../crypto/random.js';

/*
 * Token format: `<nonce>.<kid>.<mac>`
 *   nonce = 32 random bytes, base64url (43 characters)
 *   kid   = the key-ring kid whose `csrf` subkey made the MAC (1-64 of A-Z a-z 0-9 _ -)
 *   mac   = base64url(HMAC-SHA256(ring.subkey('csrf', kid), binding + '|' + nonce)) (43 characters)
 *
 * This is the OWASP CSRF cheat sheet's "signed double-submit cookie": the MAC ties the token to the session, so a
 * token an attacker obtained for their own session (or planted as a cookie) does not verify for the victim's. The
 * nonce has a fixed length and no `|`, so `binding|nonce` parses one way only, whatever the binding contains. The kid
 * lets tokens minted before a key rotation keep verifying until that kid is retired.
 */

const NONCE_LENGTH = 43;
const MAC_LENGTH = 43;
const MAX_KID_LENGTH = 64;
/** Longest well-formed token; anything longer is refused before any work. */
export const MAX_TOKEN_LENGTH = NONCE_LENGTH + 1 + MAX_KID_LENGTH + 1 + MAC_LENGTH;
const MIN_TOKEN_LENGTH = NONCE_LENGTH + 1 + 1 + 1 + MAC_LENGTH;
const B64URL_43 = /^[A-Za-z0-9_-]{43}$/;
/** 32 bytes in canonical unpadded base64url: the last character carries 4 bits, so its low 2 bits are zero. */
const MAC_B64URL = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const MAC_BYTES = 32;
const KID = /^[A-Za-z0-9_-]{1,64}$/;
const PURPOSE = 'csrf';
/** Verified (token, session binding) pairs remembered; far more than concurrent sessions on one process. */
const VERIFIED_CACHE_SIZE = 10_000;

/*
 * Equality of two strings of public length without early exit: every UTF-16 unit is XOR-ed into one accumulator, so the
 * time depends on the length only, never on where the first difference is. Used for the session binding of a
 * remembered token (a session secret; session ids have a fixed, public length) and for the two tokens of a request
 * (their length follows from the format). Two `Buffer`s and `timingSafeEqual` would do the same with two allocations
 * per request, which the benchmark showed as garbage-collector time on every request.
 */
function equalWithoutEarlyExit(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index += 1) difference |= a.charCodeAt(index) ^ b.charCodeAt(index);
  return difference === 0;
}

/**
 * Two tokens of the request (header and cookie) compared in constant time for a given length. The length of a
 * well-formed token is public (it follows from the format and the kid), so comparing lengths first leaks nothing.
 * Used on every unsafe request, where the length-hiding `constantTimeEqualString` would cost two extra HMACs.
 */
export function sameToken(a: string, b: string): boolean {
  if (a.length > MAX_TOKEN_LENGTH) return false;
  return equalWithoutEarlyExit(a, b);
}

/** Mints and verifies session-bound CSRF tokens under a key ring. */
export class CsrfTokenCodec {
  readonly #ring: KeyRing;
  readonly #verified = new Map<string, string>();

  constructor(ring: KeyRing) {
    this.#ring = ring;
  }

  /** A fresh token bound to `binding` (`''` for a visitor without a session), signed with the active key. */
  mint(binding: string): string {
    const nonce = randomToken(32);
    const kid = this.#ring.active.kid;
    return `${nonce}.${kid}.${this.#mac(kid, binding, nonce)}`;
  }

  /**
   * Whether `token` is well-formed, names a kid still in the ring, and carries the MAC for `binding`. Never throws:
   * every malformed input is simply invalid.
   */
  verify(token: unknown, binding: string): boolean {
    if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH || token.length > MAX_TOKEN_LENGTH) return false;
    if (token.charCodeAt(NONCE_LENGTH) !== 0x2e || token.charCodeAt(token.length - MAC_LENGTH - 1) !== 0x2e) return false;
    const kid = token.slice(NONCE_LENGTH + 1, token.length - MAC_LENGTH - 1);
    // A remembered token was well-formed when it verified; only its kid must still be in the ring (retiring a key
    // kills its tokens) and its binding must be this request's.
    const verifiedFor = this.#verified.get(token);
    if (verifiedFor !== undefined) return this.#ring.get(kid) !== undefined && equalWithoutEarlyExit(verifiedFor, binding);
    const nonce = token.slice(0, NONCE_LENGTH);
    const mac = token.slice(token.length - MAC_LENGTH);
    if (!B64URL_43.test(nonce) || !KID.test(kid) || !MAC_B64URL.test(mac)) return false;
    // A retired (or never known) kid: the token can no longer verify, which is what retiring a key means.
    if (this.#ring.get(kid) === undefined) return false;
    let expected: Buffer;
    try {
      expected = this.#digest(kid, binding, nonce);
    } catch {
      // Retired between the lookup and the derivation: invalid, never a thrown error mid-request.
      return false;
    }
    // Both sides are exactly 32 bytes (the pattern above fixes the presented length), so `timingSafeEqual` applies
    // directly: no length to leak, and no extra HMACs per request as the length-hiding `constantTimeEqual` needs.
    const presented = Buffer.from(mac, 'base64url');
    const valid = presented.length === MAC_BYTES && timingSafeEqual(expected, presented);
    if (valid) this.#remember(token, binding);
    return valid;
  }

  /*
   * A browser presents the same token on every request of a session, and an HMAC costs more than the rest of the chain
   * together (a fresh HMAC object per call on Node 20). So pairs that verified once are remembered, bounded, oldest
   * forgotten first. A hit answers exactly what the HMAC would: only verified pairs enter, the token string includes
   * the MAC, and the kid is checked against the ring before the cache is read, so retiring a key still kills its tokens.
   */
  #remember(token: string, binding: string): void {
    if (this.#verified.size >= VERIFIED_CACHE_SIZE) {
      const oldest = this.#verified.keys().next();
      if (oldest.done !== true) this.#verified.delete(oldest.value);
    }
    this.#verified.set(token, binding);
  }

  #digest(kid: string, binding: string, nonce: string): Buffer {
    return hmacSha256(this.#ring.subkey(PURPOSE, kid), `${binding}|${nonce}`);
  }

  #mac(kid: string, binding: string, nonce: string): string {
    return this.#digest(kid, binding, nonce).toString('base64url');
  }
}
