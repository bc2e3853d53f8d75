/*
 * CRC-32 (ISO-HDLC / IEEE 802.3, reflected polynomial 0xEDB88320), the checksum secret scanners compute over GitHub-
 * style tokens. It is an error-detecting code, not a cryptographic primitive: it only lets a scanner (or this module)
 * tell a real key from a typo or random text without a database lookup. `zlib.crc32` would do, but only from Node 22.
 */
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of the UTF-8 bytes of `text`, as an unsigned 32-bit integer. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) crc = (TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
