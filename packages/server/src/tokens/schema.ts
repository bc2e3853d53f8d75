import type { Int64 } from '../db/schema.js';

/**
 * Tables of the token module (`0005_tokens`). Times are epoch milliseconds (`Int64`) like the core stores' next to
 * them (`rampart_refresh_*`).
 */
export interface TokenTables {
  /**
   * The issuer's signing keys, one row per key. `slot` is `active` (signs), `next` (published in the JWKS, not yet
   * signing) or `NULL` (retiring: verifies until `retire_after`, or retired). A unique index on `slot` admits at most
   * one active and one next key, whatever number of processes write at once.
   */
  rampart_signing_keys: {
    kid: string;
    alg: string;
    slot: string | null;
    /** The public JWK (JSON): what the JWKS publishes. Checked against the sealed private part on every load. */
    public_jwk: string;
    /** The private JWK sealed by the KEK's ring (core `FieldCipher`, bound to kid and alg); erased at retirement. */
    private_sealed: string | null;
    /** When the key was created and published. */
    created_at: Int64;
    activated_at: Int64 | null;
    deactivated_at: Int64 | null;
    /** No token it signed can still be valid after this: the key leaves the JWKS then. */
    retire_after: Int64 | null;
    retired_at: Int64 | null;
  };
  /**
   * What happened to the keys, written in the same transaction as the change by whichever process made it (a server
   * or `rampart keys rotate`); a server claims unreported rows (`reported_at IS NULL`, one conditional UPDATE) and
   * emits them as security events into its audit trail, so a rotation done from the command line is audited once.
   */
  rampart_signing_key_log: {
    id: string;
    at: Int64;
    /** `activated` (first key of an empty database), `staged`, `promoted`, `retired`. */
    action: string;
    kid: string;
    previous: string | null;
    /** `server` or `cli`. */
    actor: string;
    reported_at: Int64 | null;
  };
  /**
   * What the login behind a refresh-token family proved, so that a refreshed access token carries the same `amr`,
   * `auth_time` and scope as the first one. One row per family; deleted with it.
   */
  rampart_token_grants: {
    family_id: string;
    user_id: string;
    client_id: string;
    /** Space-separated scope (RFC 6749 §3.3), or `NULL` for an unnarrowed first-party login. */
    scope: string | null;
    /** JSON array of RFC 8176 method names. */
    amr: string;
    auth_time: Int64;
    /** 1 when the login proved every factor the account required, else 0. */
    complete: number;
    created_at: Int64;
  };
}
