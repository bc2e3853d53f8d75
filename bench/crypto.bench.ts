import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { FieldCipher, KeyRing } from '../packages/core/src/crypto/index.js';
import { compare, type BenchRow } from './harness.js';

/** Field encryption through Rampart (envelope, AAD, kid lookup) vs raw AES-256-GCM from node:crypto, 64-byte values. */
export async function run(): Promise<BenchRow[]> {
  const ring = KeyRing.generate();
  const cipher = new FieldCipher(ring);
  const plaintext = randomBytes(64);
  const context = { table: 'users', column: 'ssn', row: 42 };
  const envelope = cipher.encrypt(plaintext, context);

  const rawKey = randomBytes(32);
  const rawEncrypt = (): Buffer => {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', rawKey, nonce);
    const body = Buffer.concat([c.update(plaintext), c.final()]);
    return Buffer.concat([nonce, body, c.getAuthTag()]);
  };
  const sealed = rawEncrypt();
  const rawDecrypt = (): Buffer => {
    const d = createDecipheriv('aes-256-gcm', rawKey, sealed.subarray(0, 12));
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
  };

  return [
    await compare(
      'field encrypt, 64 B',
      { name: 'rampart FieldCipher.encrypt', fn: () => cipher.encrypt(plaintext, context) },
      { name: 'node:crypto aes-256-gcm', fn: rawEncrypt },
    ),
    await compare(
      'field decrypt, 64 B',
      { name: 'rampart FieldCipher.decrypt', fn: () => cipher.decrypt(envelope, context) },
      { name: 'node:crypto aes-256-gcm', fn: rawDecrypt },
    ),
  ];
}
