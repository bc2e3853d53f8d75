import type { ColumnType, Generated } from 'kysely';
import type { AuthzTables } from '../authz/schema.js';
import type { LoginTables } from '../login/schema.js';
import type { MfaTables } from '../mfa/schema.js';
import type { OAuthTables } from '../oauth/schema.js';
import type { TokenTables } from '../tokens/schema.js';

/*
 * Tables the server's Kysely queries see, one interface per area so areas evolve in their own files; the migrations
 * in ./migrations create them.
 */

/** `0001_meta`. */
export interface MetaTables {
  rampart_meta: {
    key: string;
    value: string;
  };
}

/** `0008_audit_trails`: one row per instance's audit trail (PostgreSQL; SQLite has one trail, `audit.db`). */
export interface AuditTrailTables {
  rampart_audit_trails: {
    instance_id: string;
    table_prefix: string;
    created_at: string;
  };
}

/** `0003_accounts`: users, their one-time tokens and the mail outbox. Times are ISO 8601 UTC strings. */
export interface AccountTables {
  rampart_users: {
    id: string;
    email: string;
    email_normalized: string;
    password_hash: string;
    email_verified_at: string | null;
    locked_at: string | null;
    password_changed_at: string;
    created_at: string;
    updated_at: string;
  };
  rampart_account_tokens: {
    /** Hex SHA-256 of the purpose and the token; the token itself is never stored. */
    token_hash: string;
    user_id: string;
    purpose: string;
    created_at: string;
    expires_at: string;
    used_at: string | null;
  };
  rampart_mail_outbox: {
    id: string;
    kind: string;
    recipient: string;
    subject: string;
    body: string;
    status: string;
    attempts: Generated<number>;
    created_at: string;
    sent_at: string | null;
  };
}

/**
 * A `bigint` column: times in epoch milliseconds, TOTP steps, signature counters. SQLite hands it back as a number,
 * PostgreSQL (`pg`, int8) as a string: readers convert with `int64()` in `stores/sql.ts`.
 */
export type Int64 = ColumnType<number | string, number, number>;

/** `0002_core_stores`: the storage ports of `@rampart/core` (sessions, refresh tokens, API keys, MFA state). */
export interface CoreStoreTables {
  rampart_sessions: {
    /** SHA-256 of the session id; the id itself is never stored. */
    key: string;
    handle: string;
    user_id: string | null;
    /** JSON object. */
    data: string;
    created_at: Int64;
    last_seen_at: Int64;
    idle_expires_at: Int64;
    absolute_expires_at: Int64;
    revoked_at: Int64 | null;
  };
  rampart_refresh_families: {
    id: string;
    subject: string;
    created_at: Int64;
    absolute_expires_at: Int64;
    revoked_at: Int64 | null;
    revoked_reason: string | null;
  };
  rampart_refresh_tokens: {
    id: string;
    family_id: string;
    /** SHA-256 of the token; the token itself is never stored. */
    token_hash: string;
    issued_at: Int64;
    parent_id: string | null;
    used_at: Int64 | null;
    successor_id: string | null;
    grace_until: Int64 | null;
    /** The successor token encrypted with the key ring (FieldCipher), erased after the grace window. */
    sealed_successor: string | null;
  };
  rampart_api_keys: {
    id: string;
    prefix: string;
    subject: string;
    name: string | null;
    /** JSON array of strings. */
    scopes: string;
    created_at: Int64;
    expires_at: Int64 | null;
    last_used_at: Int64 | null;
    revoked_at: Int64 | null;
    /** Keyed hash (HMAC) of the key body; the key itself is never stored. */
    hash: string;
    hash_kid: string;
  };
  rampart_totp_steps: {
    key: string;
    step: Int64;
    retain_until: Int64;
  };
  rampart_backup_codes: {
    subject: string;
    kid: string;
    /** HMAC of the code under a ring subkey; the code itself is never stored. */
    hash: string;
  };
  rampart_webauthn_credentials: {
    id: string;
    user_id: string;
    /** COSE public key, base64url. */
    public_key: string;
    counter: Int64;
    /** JSON array of transports. */
    transports: string;
    device_type: string;
    /** 0 or 1 (SQLite has no boolean). */
    backed_up: number;
    aaguid: string;
    created_at: Int64;
    last_used_at: Int64 | null;
    flagged_reason: string | null;
    flagged_at: Int64 | null;
  };
  rampart_webauthn_challenges: {
    ceremony_id: string;
    kind: string;
    challenge: string;
    user_id: string | null;
    expires_at: Int64;
  };
}

/** Every table (an intersection: each area adds its interface here). */
export type RampartDatabase = MetaTables & AccountTables & CoreStoreTables & LoginTables & TokenTables & MfaTables & AuthzTables & AuditTrailTables & OAuthTables;
