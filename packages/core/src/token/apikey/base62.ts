/** The base62 alphabet: letters and digits only, so a key is one "word" for copy-paste and for scanners' regexes. */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Encodes a non-negative integer in base62, left-padded with `0` to exactly `width` characters. `width` must be large
 * enough (62^width > value), which callers guarantee by construction; fixed widths make the key format a fixed pattern.
 */
export function base62(value: bigint, width: number): string {
  let out = '';
  let rest = value;
  while (rest > 0n) {
    out = (BASE62_ALPHABET[Number(rest % 62n)] ?? '') + out;
    rest /= 62n;
  }
  if (out.length > width) throw new RangeError('value does not fit the base62 width');
  return out.padStart(width, '0');
}

/** Encodes bytes (as one big-endian integer) in base62, fixed `width`. Keeps every bit of entropy when 62^width ≥ 256^bytes. */
export function base62Bytes(bytes: Uint8Array, width: number): string {
  return base62(bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`), width);
}
