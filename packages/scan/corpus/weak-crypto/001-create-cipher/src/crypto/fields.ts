import { createCipher, createCipheriv, randomBytes } from 'node:crypto';

export function encryptField(plaintext: string, key: Buffer): string {
  const cipher = createCipher('aes-256-cbc', key);
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}
