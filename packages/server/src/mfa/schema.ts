import type { Int64 } from '../db/schema.js';

/**
 * Tables of the MFA module (`0006_mfa`). Times are epoch milliseconds (`Int64`), like the core stores' WebAuthn and
 * TOTP tables next to them. The module also uses core's stores (`0002_core_stores`): `rampart_totp_steps` (replay),
 * `rampart_backup_codes` (keyed hashes), `rampart_webauthn_credentials` (public keys) and
 * `rampart_webauthn_challenges` (pending ceremonies).
 */
export interface MfaTables {
  /**
   * TOTP secrets, one row per secret: at most one confirmed row per user (the enrolled factor) and at most one
   * pending row (an enrollment waiting for its first code). Confirming a pending row deletes every other row of the
   * user in the same transaction, so re-enrolling replaces the old secret only once the new one is proved.
   */
  rampart_mfa_totp: {
    /** Random id: the row the secret's ciphertext is bound to, and the TOTP replay scope (`totp:<id>`). */
    id: string;
    user_id: string;
    /** The base32 secret, encrypted (`FieldCipher` envelope, AES-256-GCM bound to table, column, row and user). */
    secret: string;
    created_at: Int64;
    /** `null` while pending. */
    confirmed_at: Int64 | null;
  };
  /** What users call their passkeys (the credential itself is in `rampart_webauthn_credentials`). */
  rampart_mfa_passkey_names: {
    credential_id: string;
    user_id: string;
    name: string | null;
  };
}
