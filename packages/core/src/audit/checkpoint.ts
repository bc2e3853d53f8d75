import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { KeyRing } from '../crypto/keyring.js';
import { ConfigurationError } from '../errors.js';
import { canonicalJson } from './canonical.js';
import { fromHex, toHex } from './hash.js';

/**
 * A signed tree head: the log operator's signed statement "my log had `treeSize` entries with Merkle root `rootHash`
 * at `at`". Kept outside the database too, it pins history: any later rewrite of entries below `treeSize` changes the
 * root, and the attacker cannot sign a new head without the private key.
 */
export interface SignedTreeHead {
  readonly treeSize: number;
  /** RFC 9162 MTH, lower-case hex. */
  readonly rootHash: string;
  /**
   * The chain hash of entry `treeSize - 1` (lower-case hex; 64 zeros for an empty tree). It pins the same entries as
   * the root, and lets verify() check a head against the chain it already recomputes, without rebuilding the tree.
   */
  readonly chainHash: string;
  /** ISO 8601 time of signing. */
  readonly at: string;
  /** {@link keyIdOf} the signing key. */
  readonly keyId: string;
  /** Ed25519 signature over {@link treeHeadMessage}, base64url. */
  readonly signature: string;
}

/** Holds the Ed25519 private key that signs checkpoints, and its key id. */
export interface CheckpointSigner {
  readonly privateKey: KeyObject;
  readonly keyId: string;
}

/** Domain separation: a signature over a tree head cannot be replayed as a signature over anything else. */
const DOMAIN = 'rampart.audit.sth/v2\n';

function assertEd25519(key: KeyObject, type: 'private' | 'public'): void {
  if (key.type !== type || key.asymmetricKeyType !== 'ed25519') throw new ConfigurationError(`audit: the checkpoint key must be an Ed25519 ${type} KeyObject`);
}

/** A key id that names the public key (SHA-256 of its SPKI DER, base64url), so a head names the key that can check it. */
export function keyIdOf(publicKey: KeyObject): string {
  assertEd25519(publicKey, 'public');
  const cached = keyIds.get(publicKey);
  if (cached !== undefined) return cached;
  const id = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
  keyIds.set(publicKey, id);
  return id;
}

/** Key ids by key object: verify() checks every head against every trusted key, and a KeyObject never changes. */
const keyIds = new WeakMap<KeyObject, string>();

/** Wraps an Ed25519 private key for signing checkpoints; refuses any other key type (no algorithm confusion). */
export function checkpointSigner(privateKey: KeyObject): CheckpointSigner {
  assertEd25519(privateKey, 'private');
  return { privateKey, keyId: keyIdOf(createPublicKey(privateKey)) };
}

/** HKDF purpose of the checkpoint key's seed: `ring.subkey(CHECKPOINT_KEY_PURPOSE, kid)`. */
export const CHECKPOINT_KEY_PURPOSE = 'audit.checkpoint.ed25519';

/** RFC 8410 §7 PKCS #8 header of an Ed25519 private key; the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function ringPrivateKey(ring: KeyRing, kid: string): KeyObject {
  const seed = ring.subkey(CHECKPOINT_KEY_PURPOSE, kid).export();
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/**
 * The checkpoint signer of key-ring key `kid` (default the active one): an Ed25519 key whose seed is an HKDF subkey of
 * the ring key, so the signing key is kept, rotated and retired with the ring and never stored on its own. Rotate the
 * ring, then open the log with the new signer; keep {@link checkpointPublicKeys} of retired kids to verify old heads.
 */
export function checkpointSignerFromKeyRing(ring: KeyRing, kid: string = ring.active.kid): CheckpointSigner {
  return checkpointSigner(ringPrivateKey(ring, kid));
}

/**
 * The checkpoint public keys of every key in the ring, for `verify(…, { publicKey })` across rotations. Export them
 * (`key.export({ type: 'spki', format: 'pem' })`) to wherever heads are checked: a verifier needs no secret.
 */
export function checkpointPublicKeys(ring: KeyRing): KeyObject[] {
  return ring.kids().map((kid) => createPublicKey(ringPrivateKey(ring, kid)));
}

/** The exact bytes signed: the domain line, then the RFC 8785 form of every head field except the signature. */
export function treeHeadMessage(head: Omit<SignedTreeHead, 'signature'>): Buffer {
  return Buffer.from(
    DOMAIN + canonicalJson({ treeSize: head.treeSize, rootHash: head.rootHash, chainHash: head.chainHash, at: head.at, keyId: head.keyId }),
    'utf8',
  );
}

/** Signs the head of a tree of `treeSize` leaves with root `rootHash` and last chain hash `chainHash`. */
export function signTreeHead(signer: CheckpointSigner, treeSize: number, rootHash: Uint8Array, chainHash: Uint8Array, at: string): SignedTreeHead {
  const unsigned = { treeSize, rootHash: toHex(rootHash), chainHash: toHex(chainHash), at, keyId: signer.keyId };
  return { ...unsigned, signature: sign(null, treeHeadMessage(unsigned), signer.privateKey).toString('base64url') };
}

/**
 * Whether `head` is well-formed, names one of `publicKeys`, and carries a valid Ed25519 signature by it. Any edit to
 * a field, a signature by another key, or a malformed value fails.
 */
export function verifyTreeHead(head: SignedTreeHead, publicKeys: KeyObject | readonly KeyObject[]): boolean {
  const keys = Array.isArray(publicKeys) ? (publicKeys as readonly KeyObject[]) : [publicKeys as KeyObject];
  if (!Number.isSafeInteger(head.treeSize) || head.treeSize < 0) return false;
  if (typeof head.rootHash !== 'string' || fromHex(head.rootHash) === undefined) return false;
  if (typeof head.chainHash !== 'string' || fromHex(head.chainHash) === undefined) return false;
  if (typeof head.at !== 'string' || typeof head.keyId !== 'string' || typeof head.signature !== 'string') return false;
  if (!/^[A-Za-z0-9_-]{86}$/.test(head.signature)) return false;
  const key = keys.find((candidate) => keyIdOf(candidate) === head.keyId);
  if (key === undefined) return false;
  let message: Buffer;
  try {
    message = treeHeadMessage(head);
  } catch {
    return false;
  }
  // Only valid signatures are remembered, keyed by the key object and the exact bytes checked: a head is checked
  // again on every verify() of a log, and an Ed25519 verification costs more than hashing a thousand entries.
  const seen = `${head.signature}\n${message.toString('latin1')}`;
  const remembered = verifiedHeads.get(key);
  if (remembered?.has(seen) === true) return true;
  if (!verify(null, message, key, Buffer.from(head.signature, 'base64url'))) return false;
  const heads = remembered ?? new Set<string>();
  if (heads.size >= MAX_REMEMBERED_HEADS) heads.clear();
  heads.add(seen);
  verifiedHeads.set(key, heads);
  return true;
}

/** Valid (signature, signed bytes) pairs per public key; bounded, emptied when full. */
const verifiedHeads = new WeakMap<KeyObject, Set<string>>();
const MAX_REMEMBERED_HEADS = 4096;
