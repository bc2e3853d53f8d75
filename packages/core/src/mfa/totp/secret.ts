import { randomBytes } from 'node:crypto';
import { Secret } from 'otpauth';
import { ConfigurationError } from '../../errors.js';
import { TotpSecretError } from './errors.js';

/** 160 bits: the minimum shared-secret length of RFC 4226 §4 (R6), which RFC 6238 inherits. */
export const MIN_TOTP_SECRET_BYTES = 20;

/** Upper bound on generated secrets; longer HMAC keys are hashed down anyway (RFC 2104 §3). */
export const MAX_TOTP_SECRET_BYTES = 128;

/**
 * Generates a TOTP shared secret from the operating system's CSPRNG (`node:crypto`) and returns it base32-encoded
 * (RFC 4648, the encoding authenticator apps expect).
 *
 * Protects against guessable or short secrets: fewer than 20 bytes (160 bits) is refused.
 */
export function generateTotpSecret(bytes: number = MIN_TOTP_SECRET_BYTES): string {
  if (!Number.isInteger(bytes) || bytes < MIN_TOTP_SECRET_BYTES || bytes > MAX_TOTP_SECRET_BYTES) {
    throw new ConfigurationError(`a TOTP secret needs ${MIN_TOTP_SECRET_BYTES}-${MAX_TOTP_SECRET_BYTES} bytes`);
  }
  // Copy into a fresh Uint8Array so the Secret owns exactly these bytes (a Buffer may view a larger shared pool).
  return new Secret({ buffer: new Uint8Array(randomBytes(bytes)).buffer }).base32;
}

/**
 * Decodes a base32 TOTP secret and refuses it when it is malformed or shorter than 160 bits.
 *
 * Protects against a weak secret reaching the verifier, whether it came from an import, a migration or a bug.
 * Throws {@link TotpSecretError}; the secret is operator data, never attacker input, so throwing fails closed.
 */
export function decodeTotpSecret(base32: string): Secret {
  if (typeof base32 !== 'string' || base32.length === 0) {
    throw new TotpSecretError('invalid', 'a TOTP secret must be a non-empty base32 string');
  }
  let secret: Secret;
  try {
    secret = Secret.fromBase32(base32);
  } catch {
    // The library's error names the offending character, which is part of the secret: it is not chained.
    throw new TotpSecretError('invalid', 'a TOTP secret must be base32 (RFC 4648)');
  }
  if (secret.bytes.length < MIN_TOTP_SECRET_BYTES) {
    throw new TotpSecretError(
      'too_short',
      `a TOTP secret has ${secret.bytes.length * 8} bits; at least ${MIN_TOTP_SECRET_BYTES * 8} are required`,
    );
  }
  return secret;
}
