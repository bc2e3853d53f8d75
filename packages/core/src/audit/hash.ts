import { createHash } from 'node:crypto';

/** SHA-256 length; every hash in the log is this long. */
export const HASH_LENGTH = 32;

/** Genesis predecessor of the hash chain: 32 zero bytes, so entry 0 is chained like every other entry. */
export const GENESIS_CHAIN_HASH: Uint8Array = new Uint8Array(HASH_LENGTH);

function sha256(...parts: readonly Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);
/** Not a prefix RFC 9162 uses, so a chain input can never be read as a Merkle leaf or node input. */
const CHAIN_PREFIX = Uint8Array.of(0x02);

/** RFC 9162 §2.1.1 MTH of the empty list: SHA-256 of nothing. */
export function emptyRootHash(): Uint8Array {
  return sha256();
}

/** RFC 9162 §2.1.1 leaf hash `SHA-256(0x00 || entry)`; the prefix stops a leaf being passed off as an inner node
 * (second-preimage attack on the tree). */
export function leafHash(entryBytes: Uint8Array | string): Uint8Array {
  return sha256(LEAF_PREFIX, typeof entryBytes === 'string' ? Buffer.from(entryBytes, 'utf8') : entryBytes);
}

/** RFC 9162 §2.1.1 inner node `SHA-256(0x01 || left || right)`. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right);
}

/**
 * Chain link `SHA-256(0x02 || previousChainHash || leafHash)`: every entry's chain hash commits to every entry before
 * it, so changing, removing or reordering one entry breaks every later link unless the attacker rewrites them all.
 */
export function chainHash(previous: Uint8Array, leaf: Uint8Array): Uint8Array {
  return sha256(CHAIN_PREFIX, previous, leaf);
}

/** Byte equality of two hashes; a hash of the wrong length (a tampered column) is never equal. Hashes are public, so
 * timing does not matter here. */
export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
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
