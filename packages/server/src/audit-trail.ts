import { join } from 'node:path';
import { PostgresAuditStore, SqliteAuditStore, checkpointPublicKeys, checkpointSignerFromKeyRing, type AuditStore, type CheckpointSigner } from '@rampart/core/audit';
import { KeyRing } from '@rampart/core/crypto';
import type { KeyObject } from 'node:crypto';
import type pg from 'pg';
import type { ServerConfig } from './config/config.js';

/** The audit trail's SQLite file inside the data directory. */
export const AUDIT_FILE = 'audit.db';
/** The audit trail's table prefix on PostgreSQL for the instance `main` (`rampart_audit_entries`, `…_checkpoints`). */
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

/** The PostgreSQL table prefix of an instance's trail: `rampart_audit` for `main`, `rampart_audit_<id>` otherwise. */
export function auditTableOf(instanceId: string): string {
  return instanceId === 'main' ? AUDIT_TABLE : `${AUDIT_TABLE}_${instanceId}`;
}

/** One audit trail of the database: whose it is and its store. */
export interface AuditTrail {
  readonly instanceId: string;
  readonly store: AuditStore;
}

/**
 * The audit trail this server instance writes, on the server's own storage: `<dataDir>/audit.db` on SQLite, or the
 * instance's `rampart_audit[_<instanceId>]_*` tables on PostgreSQL (given the server's pool), registered in
 * `rampart_audit_trails` so `rampart audit verify` finds it.
 *
 * Several instances on one PostgreSQL each write their own chain: a hash chain has one writer (a second writer would
 * continue it from a stale tail). A second process started with the same `instanceId` waits for the first's writer
 * lock (a rolling deploy's overlap, up to the shutdown grace plus 5 s), then refuses to start.
 */
export async function openAuditStore(config: Pick<ServerConfig, 'dataDir' | 'instanceId' | 'shutdownGraceMs'>, pool: pg.Pool | undefined): Promise<AuditStore> {
  if (pool === undefined) return new SqliteAuditStore(join(config.dataDir, AUDIT_FILE));
  const table = auditTableOf(config.instanceId);
  await pool.query('INSERT INTO rampart_audit_trails (instance_id, table_prefix, created_at) VALUES ($1, $2, $3) ON CONFLICT (instance_id) DO NOTHING', [
    config.instanceId,
    table,
    new Date().toISOString(),
  ]);
  return PostgresAuditStore.open(pool, { table, lockTimeoutMs: config.shutdownGraceMs + 5_000 });
}

/**
 * Every audit trail of the database, for verification: the one SQLite file, or every trail registered on PostgreSQL
 * (opened read-side: verification takes no writer lock). The caller closes the stores.
 */
export async function openAuditTrails(config: Pick<ServerConfig, 'dataDir'>, pool: pg.Pool | undefined): Promise<AuditTrail[]> {
  if (pool === undefined) return [{ instanceId: 'main', store: new SqliteAuditStore(join(config.dataDir, AUDIT_FILE)) }];
  const registered = await pool.query<{ instance_id: string; table_prefix: string }>('SELECT instance_id, table_prefix FROM rampart_audit_trails ORDER BY instance_id');
  const trails: AuditTrail[] = [];
  for (const row of registered.rows) trails.push({ instanceId: row.instance_id, store: await PostgresAuditStore.open(pool, { table: row.table_prefix }) });
  return trails;
}
