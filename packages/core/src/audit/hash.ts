import { hash } from 'node:crypto';

/** SHA-256 length; every hash in the log is this long. */
export const HASH_LENGTH = 32;

/** Genesis predecessor of the hash chain: 32 zero bytes, so entry 0 is chained like every other entry. */
export const GENESIS_CHAIN_HASH: Uint8Array = new Uint8Array(HASH_LENGTH);

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;
/** Not a prefix RFC 9162 uses, so a chain input can never be read as a Merkle leaf or node input. */
const CHAIN_PREFIX = 0x02;

// Every hash is one call of the one-shot `crypto.hash`, its input assembled in one reused buffer (or passed as the
// string itself), its digest taken as a latin1 ('binary') string and turned into bytes: on Node 20 a 'buffer' digest
// costs about a microsecond more than the hashing itself (a new backing store per call), and the log and verify() hash
// two or three times per entry. Sharing the buffer is safe: hashing is synchronous and nothing else touches it between
// write and hash.
let scratch = Buffer.allocUnsafe(4096);

function digestBytes(latin1: string): Uint8Array {
  return Buffer.from(latin1, 'latin1');
}

function sha256Of(length: number): Uint8Array {
  return digestBytes(hash('sha256', scratch.subarray(0, length), 'binary'));
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
  // A string is hashed as its UTF-8 bytes, as `hash()` encodes it.
  if (typeof entryBytes === 'string') return digestBytes(hash('sha256', `\u0000${entryBytes}`, 'binary'));
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

/** The 65-byte chain input, reused by {@link chainHashInto}. */
const chainInput = Buffer.allocUnsafe(1 + 2 * HASH_LENGTH);

/**
 * @internal {@link leafHash} of `text`, written into `out` at `outAt`: no allocation, for verify()'s threads, which
 * hash every entry of a log.
 */
export function leafHashInto(text: string, out: Buffer, outAt: number): void {
  out.write(hash('sha256', `\u0000${text}`, 'binary'), outAt, 'latin1');
}

/**
 * @internal {@link chainHash} of `previous` (32 bytes) and the leaf hash at `leafSource[leafAt]`, written into `out`
 * at `outAt`, without allocating.
 */
export function chainHashInto(previous: Buffer, leafSource: Buffer, leafAt: number, out: Buffer, outAt: number): void {
  chainInput[0] = CHAIN_PREFIX;
  previous.copy(chainInput, 1, 0, HASH_LENGTH);
  leafSource.copy(chainInput, 1 + HASH_LENGTH, leafAt, leafAt + HASH_LENGTH);
  out.write(hash('sha256', chainInput, 'binary'), outAt, 'latin1');
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
