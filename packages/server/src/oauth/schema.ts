import type { Int64 } from '../db/schema.js';

/**
 * Tables of the OAuth module (`0009_oauth`, `0010_oauth_accounts`). Times are epoch milliseconds (`Int64`) like the other stores'; booleans
 * are 0/1 integers (SQLite has none).
 */
export interface OAuthTables {
  /**
   * What oidc-provider stores through its adapter: sessions, interactions, grants, authorization codes, opaque access
   * tokens, refresh tokens, pushed authorization requests, DPoP proof ids (replay detection). One row per model
   * instance; the provider's own JSON payload, never read by SQL except through the indexed columns.
   */
  rampart_oauth_models: {
    /** The model's name (`AuthorizationCode`, `RefreshToken`, `Session`, …): ids are unique per kind. */
    kind: string;
    /** The provider's id of the instance (a token's `jti`, a session id, a grant id). */
    id: string;
    /** JSON object: the provider's payload. */
    payload: string;
    /** The grant the token belongs to: what `revokeByGrantId` deletes. */
    grant_id: string | null;
    /** The client the token was issued to: what deleting a client deletes. */
    client_id: string | null;
    /** Device-flow user code (the provider's `findByUserCode`). */
    user_code: string | null;
    /** A session's uid (the provider's `findByUid`). */
    uid: string | null;
    /** The account the instance belongs to (`0010_oauth_accounts`): grants are looked up by account and client. */
    account_id: string | null;
    /** When the row may be swept; `NULL`: kept until destroyed. */
    expires_at: Int64 | null;
    /** When a code or refresh token was spent: set once, by one conditional UPDATE (reuse detection). */
    consumed_at: Int64 | null;
  };
  /**
   * The registered OAuth clients. Secrets are sealed with the server's field cipher (AES-256-GCM under a ring subkey,
   * bound to the client id): oidc-provider compares secrets itself (and `client_secret_jwt` keys HMACs with them), so
   * a hash would not do, and a database dump must not hand them out.
   */
  rampart_oauth_clients: {
    client_id: string;
    /** `confidential` or `public`. */
    client_type: string;
    name: string | null;
    /** `web` or `native` (RFC 8252: loopback and private-use redirect URIs). */
    application_type: string;
    secret_sealed: string | null;
    /** JSON array of exact redirect URIs. */
    redirect_uris: string;
    /** JSON array of exact post-logout redirect URIs. */
    post_logout_redirect_uris: string;
    /** JSON array of grant types (`authorization_code`, `refresh_token`, `client_credentials`). */
    grant_types: string;
    /** Space-separated scopes the client may ask for. */
    scope: string;
    token_endpoint_auth_method: string;
    /** RFC 8705 §2.1.2: the certificate subject DN a `tls_client_auth` client must present (RFC 4514 string). */
    tls_client_auth_subject_dn: string | null;
    /** JSON JWK Set of public keys: `private_key_jwt` keys, or the self-signed certificate (`x5c`) of `self_signed_tls_client_auth`. */
    jwks: string | null;
    /** RFC 8705 §3: access tokens bound to the client's certificate. */
    certificate_bound_access_tokens: number;
    /** RFC 9449 §5.2: DPoP proofs required at the token endpoint. */
    dpop_bound_access_tokens: number;
    /** Consent is not asked of users for this client (the operator's own applications). */
    first_party: number;
    created_at: Int64;
    updated_at: Int64;
    secret_rotated_at: Int64 | null;
  };
}
