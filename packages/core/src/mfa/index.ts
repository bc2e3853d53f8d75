/**
 * Second factors: TOTP with replay prevention, single-use backup codes, and WebAuthn (passkeys, security keys).
 */
export * from './totp/index.js';
export * from './backup-codes/index.js';
export * from './webauthn/index.js';
