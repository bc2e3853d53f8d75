import type { Int64 } from '../db/schema.js';

/**
 * Tables of the authorization module (`0007_authz`). Times are epoch milliseconds (`Int64`) like the core stores';
 * booleans are 0/1 integers (SQLite has none).
 */
export interface AuthzTables {
  /** One row per role an account holds in one tenant (`tenant` = `*` for a global binding). */
  rampart_role_bindings: {
    user_id: string;
    tenant: string;
    role: string;
    created_at: Int64;
    /** The administrator who bound it; `null` for the CLI's first administrator. */
    created_by: string | null;
  };
  /** Every policy document ever stored, by version; exactly one row is active once the module started. */
  rampart_policies: {
    version: number;
    format: string;
    document: string;
    /** Hex SHA-256 of `document` (the text as stored). */
    sha256: string;
    created_by: string | null;
    created_at: Int64;
    /** 0 or 1; a partial unique index allows one active row. */
    active: number;
    /**
     * Sequence number of the last activation of this row (1, 2, … across the table): part of the entity tag, so a
     * rollback and a roll-forward to the same version still change the tag an editor read (no ABA).
     */
    activation: Int64 | null;
  };
}
