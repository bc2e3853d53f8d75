/**
 * Session tokens, reset tokens and gift-message encryption of the vulnerable shop. DELIBERATELY INSECURE:
 * - the JWT verifier trusts the token's own `alg` header and accepts `none` (CWE-347, RFC 8725 §2.1);
 * - tokens are signed with a secret written in `config.ts` (CWE-798);
 * - reset tokens come from `Math.random` (CWE-338): V8's xorshift128+ state can be recovered from a few outputs;
 * - gift messages are encrypted with AES in ECB mode (CWE-327): equal plaintext blocks give equal ciphertext blocks.
 */
import { createCipheriv, createHmac } from 'node:crypto';
import { GIFT_MESSAGE_KEY, JWT_SECRET } from '../config.js';

export interface TokenClaims {
  sub: string;
  role: string;
  [claim: string]: unknown;
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** Signs `claims` as an HS256 JWT. */
export function signToken(claims: TokenClaims): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify({ ...claims, iat: Math.floor(Date.now() / 1000) }));
  const signature = createHmac('sha256', JWT_SECRET).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** Verifies a token and returns its claims, or `undefined`. */
export function verifyToken(token: string): TokenClaims | undefined {
  const [header = '', payload = '', signature = ''] = token.split('.');
  try {
    const { alg } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string };
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    if (alg === 'none' || alg === 'None') return claims; // unsigned tokens are "for internal tools"
    const expected = createHmac('sha256', JWT_SECRET).update(`${header}.${payload}`).digest('base64url');
    return signature === expected ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** A password-reset token, mailed to the user. */
export function newResetToken(): string {
  return Math.random().toString(36).slice(2);
}

/** Encrypts a gift message for the printed card's QR code. */
export function encryptGiftMessage(message: string): string {
  const cipher = createCipheriv('aes-128-ecb', GIFT_MESSAGE_KEY, null);
  return Buffer.concat([cipher.update(message, 'utf8'), cipher.final()]).toString('hex');
}
