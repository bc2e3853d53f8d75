import type { Migration } from 'kysely';
import { meta } from './0001_meta.js';
import { coreStores } from './0002_core_stores.js';
import { accounts } from './0003_accounts.js';
import { loginTables } from './0004_login.js';
import { tokensTables } from './0005_tokens.js';
import { mfaTables } from './0006_mfa.js';
import { authzTables } from './0007_authz.js';
import { auditTrails } from './0008_audit_trails.js';
import { oauthTables } from './0009_oauth.js';
import { oauthAccounts } from './0010_oauth_accounts.js';

/*
 * Versioned migrations, in code (no files to lose from an image), applied in name order inside Kysely's migration
 * lock. One file per migration, named `NNNN_what.ts`; a migration is never edited once released: a change is a new one.
 * Every migration must run on SQLite and PostgreSQL (Kysely's schema builder; no dialect-only SQL).
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_meta': meta,
  '0002_core_stores': coreStores,
  '0003_accounts': accounts,
  '0004_login': loginTables,
  '0005_tokens': tokensTables,
  '0006_mfa': mfaTables,
  '0007_authz': authzTables,
  '0008_audit_trails': auditTrails,
  '0009_oauth': oauthTables,
  '0010_oauth_accounts': oauthAccounts,
};
