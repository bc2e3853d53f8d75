import { hash } from 'node:crypto';

/** SHA-256 length; every hash in the log is this long. */
export const HASH_LENGTH = 32;

/** Genesis predecessor of the hash chain: 32 zero bytes, so entry 0 is chained like every other entry. */
export const GENESIS_CHAIN_HASH: Uint8Array = new Uint8Array(HASH_LENGTH);

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;
/** Not a prefix RFC 9162 uses, so a chain input can never be read as a Merkle leaf or node input. */
const CHAIN_PREFIX = 0x02;

// Every hash input is assembled in one reused buffer and hashed by the one-shot `crypto.hash`: a `createHash` object
// per hash costs more than hashing a few hundred bytes, and the log and verify() hash two or three times per entry.
// Safe to share: hashing is synchronous and nothing else touches the buffer between write and hash.
let scratch = Buffer.allocUnsafe(4096);

/** The digest is a fresh Buffer (a Uint8Array): stores bind it as a blob without copying. */
function sha256Of(length: number): Uint8Array {
  return hash('sha256', scratch.subarray(0, length), 'buffer');
}

function room(length: number): Buffer {
  if (scratch.length < length) scratch = Buffer.allocUnsafe(Math.max(length, scratch.length * 2));
  return scratch;
}

function pair(prefix: number, left: Uint8Array, right: Uint8Array): Uint8Array {
  const buffer = room(1 + left.length + right.length);
  buffer[0] = prefix;
  buffer.set(left, 1);
  buffer.set(right, 1 + left.length);
  return sha256Of(1 + left.length + right.length);
}

/** RFC 9162 §2.1.1 MTH of the empty list: SHA-256 of nothing. */
export function emptyRootHash(): Uint8Array {
  return sha256Of(0);
}

/** RFC 9162 §2.1.1 leaf hash `SHA-256(0x00 || entry)`; the prefix stops a leaf being passed off as an inner node
 * (second-preimage attack on the tree). */
export function leafHash(entryBytes: Uint8Array | string): Uint8Array {
  if (typeof entryBytes === 'string') {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit, so this bound needs no pass over the text.
    const buffer = room(1 + entryBytes.length * 3);
    buffer[0] = LEAF_PREFIX;
    return sha256Of(1 + buffer.write(entryBytes, 1, 'utf8'));
  }
  const buffer = room(1 + entryBytes.length);
  buffer[0] = LEAF_PREFIX;
  buffer.set(entryBytes, 1);
  return sha256Of(1 + entryBytes.length);
}

/** RFC 9162 §2.1.1 inner node `SHA-256(0x01 || left || right)`. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return pair(NODE_PREFIX, left, right);
}

/**
 * Chain link `SHA-256(0x02 || previousChainHash || leafHash)`: every entry's chain hash commits to every entry before
 * it, so changing, removing or reordering one entry breaks every later link unless the attacker rewrites them all.
 */
export function chainHash(previous: Uint8Array, leaf: Uint8Array): Uint8Array {
  return pair(CHAIN_PREFIX, previous, leaf);
}

/** Byte equality of two hashes; a hash of the wrong length (a tampered column) is never equal. Hashes are public, so
 * timing does not matter here. */
export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return (Buffer.isBuffer(a) ? a : Buffer.from(a.buffer, a.byteOffset, a.byteLength)).equals(b);
}

/** Lower-case hex, the form hashes take in JSON (checkpoints, proofs, API results). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Parses a 32-byte lower-case hex hash; `undefined` for anything else, so a malformed hash can never compare equal. */
export function fromHex(text: string): Uint8Array | undefined {
  if (!/^[0-9a-f]{64}$/.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'hex'));
}
