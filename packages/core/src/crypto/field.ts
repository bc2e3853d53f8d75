import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { RampartError } from '../errors.js';
import { fail, ok, type Result } from '../result.js';
import type { KeyRing } from './keyring.js';

/**
 * Where a ciphertext belongs, e.g. `{ table: 'users', column: 'ssn', row: 42 }`. It is authenticated (not encrypted)
 * with the ciphertext, so a value copied to another row, column or table fails to decrypt.
 */
export type EncryptionContext = Readonly<Record<string, string | number>>;

/** Why a decryption failed. Deliberately coarse: a padding/tag oracle must not learn which check failed first. */
export type DecryptFailure = 'malformed' | 'unknown_key' | 'authentication_failed';

/** Thrown by {@link FieldCipher.decrypt} when an envelope cannot be opened. */
export class DecryptionError extends RampartError {
  constructor(readonly reason: DecryptFailure) {
    super(reason === 'unknown_key' ? 'DECRYPT_UNKNOWN_KEY' : 'DECRYPT_FAILED', `field decryption failed: ${reason}`);
  }
}

const VERSION = 'rf1';
const SUBKEY_PURPOSE = 'field-encryption/v1';
const NONCE_BYTES = 12; // 96-bit nonce: the size GCM is specified for (NIST SP 800-38D §8.2)
const TAG_BYTES = 16;
const ENVELOPE = /^rf1\.([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{22})$/;

/*
 * Canonical, injective encoding of the context: sorted names, each name and value length-prefixed, values typed.
 * Injective so that two different contexts never produce the same associated data ({a:'b|c'} vs {a:'b', c:''}).
 * Written into one buffer: this runs on every encryption and decryption.
 */
function associatedData(kid: string, context: EncryptionContext): Buffer {
  // The kid and version are bound too: an attacker cannot relabel a ciphertext as belonging to another key.
  const head = `${VERSION}\0${kid}\0`;
  const names = Object.keys(context).sort();
  const texts: string[] = [];
  let size = Buffer.byteLength(head);
  for (const name of names) {
    const value = context[name];
    const typed = typeof value === 'number' ? `n:${String(value)}` : `s:${String(value)}`;
    texts.push(name, typed);
    size += 8 + Buffer.byteLength(name) + Buffer.byteLength(typed);
  }
  const out = Buffer.allocUnsafe(size);
  let offset = out.write(head, 0);
  for (const text of texts) {
    const length = out.write(text, offset + 4);
    out.writeUInt32BE(length, offset);
    offset += 4 + length;
  }
  return out;
}

/*
 * Nonces come from a pool filled by the OS CSPRNG, 12 bytes handed out once each (as node's randomUUID does):
 * one randomFillSync per 341 nonces instead of one per encryption. A nonce is never handed out twice.
 */
const noncePool = Buffer.alloc(NONCE_BYTES * 341);
let noncePoolOffset = noncePool.length;

function freshNonce(): Buffer {
  if (noncePoolOffset + NONCE_BYTES > noncePool.length) {
    randomFillSync(noncePool);
    noncePoolOffset = 0;
  }
  const nonce = Buffer.from(noncePool.subarray(noncePoolOffset, noncePoolOffset + NONCE_BYTES));
  noncePoolOffset += NONCE_BYTES;
  return nonce;
}

/**
 * Field-level encryption with AES-256-GCM, for columns that must stay confidential even when the database leaks
 * (national ids, TOTP secrets, tokens kept for a grace window).
 *
 * - a random 96-bit nonce per encryption (never a counter shared across processes, so no nonce reuse on restart);
 * - associated data binds the ciphertext to its place ({@link EncryptionContext}) and to its key id;
 * - a versioned envelope `rf1.<kid>.<nonce>.<ciphertext>.<tag>` names the key, so a rotated ring still decrypts old
 *   values and {@link reencrypt} moves them to the active key;
 * - the AES key is an HKDF subkey of the ring key, so the same ring can safely serve other purposes.
 *
 * Random nonces bound the number of encryptions under one key to 2^32 (NIST SP 800-38D §8.3); rotate the ring well
 * before that.
 */
export class FieldCipher {
  readonly #ring: KeyRing;

  constructor(ring: KeyRing) {
    this.#ring = ring;
  }

  /** Encrypts `plaintext` under the ring's active key, bound to `context`. */
  encrypt(plaintext: string | Uint8Array, context: EncryptionContext): string {
    const { kid } = this.#ring.active;
    const nonce = freshNonce();
    const cipher = createCipheriv('aes-256-gcm', this.#ring.subkey(SUBKEY_PURPOSE, kid), nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(kid, context));
    const body = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final()]);
    return [VERSION, kid, nonce.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /**
   * Decrypts an envelope made by {@link encrypt} with the same context. Never throws on arbitrary input: a malformed,
   * tampered, moved or unknown-key envelope is a typed failure.
   */
  tryDecrypt(envelope: string, context: EncryptionContext): Result<Buffer, DecryptFailure> {
    if (typeof envelope !== 'string') return fail('malformed');
    const match = ENVELOPE.exec(envelope);
    if (match === null) return fail('malformed');
    const [, kid = '', nonce = '', body = '', tag = ''] = match;
    if (this.#ring.get(kid) === undefined) return fail('unknown_key');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#ring.subkey(SUBKEY_PURPOSE, kid), Buffer.from(nonce, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(associatedData(kid, context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return ok(Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]));
    } catch {
      return fail('authentication_failed');
    }
  }

  /** Like {@link tryDecrypt}, but throws a {@link DecryptionError}; for data the application itself wrote. */
  decrypt(envelope: string, context: EncryptionContext): Buffer {
    const result = this.tryDecrypt(envelope, context);
    if (!result.ok) throw new DecryptionError(result.reason);
    return result.value;
  }

  /** {@link decrypt} as UTF-8 text. */
  decryptString(envelope: string, context: EncryptionContext): string {
    return this.decrypt(envelope, context).toString('utf8');
  }

  /** The kid an envelope names, or `undefined` when it is not an envelope. */
  keyIdOf(envelope: string): string | undefined {
    return ENVELOPE.exec(envelope)?.[1];
  }

  /** True when the envelope was not made with the active key: a rotation job re-encrypts these. */
  needsReencrypt(envelope: string): boolean {
    return this.keyIdOf(envelope) !== this.#ring.active.kid;
  }

  /**
   * Decrypts with whichever key the envelope names and encrypts again under the active key, for the same context
   * (or a new one, when a row moves on purpose). Run it over a table after {@link KeyRing.rotate}, then retire the old key.
   */
  reencrypt(envelope: string, context: EncryptionContext, newContext: EncryptionContext = context): string {
    return this.encrypt(this.decrypt(envelope, context), newContext);
  }
}
