import { join } from 'node:path';
import { PostgresAuditStore, SqliteAuditStore, checkpointPublicKeys, checkpointSignerFromKeyRing, type AuditStore, type CheckpointSigner } from '@rampart/core/audit';
import { KeyRing } from '@rampart/core/crypto';
import type { KeyObject } from 'node:crypto';
import type pg from 'pg';
import type { ServerConfig } from './config/config.js';

/** The audit trail's SQLite file inside the data directory. */
export const AUDIT_FILE = 'audit.db';
/** The audit trail's table prefix on PostgreSQL (`rampart_audit_entries`, `rampart_audit_checkpoints`). */
export const AUDIT_TABLE = 'rampart_audit';

/**
 * The key ring the server's keys derive from: the key-encryption key as its one key for now. The audit checkpoint key
 * is derived from it (HKDF, `checkpointSignerFromKeyRing`), so it is never stored on its own and a server restarted
 * with the same KEK signs with the same key: its old heads still verify.
 */
export function serverKeyRing(kek: Buffer): KeyRing {
  return KeyRing.fromDocument({ active: 'kek', keys: { kek: kek.toString('base64url') } });
}

/** The signer of the server's audit checkpoints. */
export function auditSigner(kek: Buffer): CheckpointSigner {
  return checkpointSignerFromKeyRing(serverKeyRing(kek));
}

/** The public keys that check the server's audit checkpoints (`rampart audit verify`). */
export function auditPublicKeys(kek: Buffer): KeyObject[] {
  return checkpointPublicKeys(serverKeyRing(kek));
}

/**
 * The audit trail's store on the server's own storage: `<dataDir>/audit.db` on SQLite, the `rampart_audit_*` tables
 * on PostgreSQL (given the server's pool). One place, so the server and `rampart audit verify` read the same trail.
 */
export async function openAuditStore(config: Pick<ServerConfig, 'dataDir'>, pool: pg.Pool | undefined): Promise<AuditStore> {
  return pool === undefined ? new SqliteAuditStore(join(config.dataDir, AUDIT_FILE)) : PostgresAuditStore.open(pool, { table: AUDIT_TABLE });
}
