import { RampartError } from '../../errors.js';

/** Stable codes of {@link TotpSecretError}. */
export type TotpSecretErrorCode = 'TOTP_SECRET_INVALID' | 'TOTP_SECRET_TOO_SHORT';

/**
 * Thrown when a TOTP shared secret is unusable: not base32, or shorter than 160 bits (RFC 4226 §4 R6).
 *
 * A short secret shrinks the key space an attacker who captured a few codes must search offline; refusing it loudly
 * (at enrollment and again at verification) keeps a weak secret from ever guarding an account. The message never
 * contains the secret.
 */
export class TotpSecretError extends RampartError<TotpSecretErrorCode> {
  constructor(problem: 'invalid' | 'too_short', message: string) {
    super(problem === 'invalid' ? 'TOTP_SECRET_INVALID' : 'TOTP_SECRET_TOO_SHORT', message);
  }
}
