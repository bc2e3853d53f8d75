import Database from 'better-sqlite3';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { ConfigurationError } from '../errors.js';
import { securityEvent, type SecurityEventType } from '../events.js';
import { checkpointSigner } from './checkpoint.js';
import { AuditError } from './errors.js';
import { toHex } from './hash.js';
import { AuditLog } from './log.js';
import { merkleRoot } from './merkle.js';
import { PostgresAuditStore } from './pg-store.js';
import { auditEventClass, checkRetentionPolicy, type RetentionPolicy } from './retention.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { MemoryAuditStore, type AuditRow, type AuditStore } from './store.js';
import { checkInclusion, verify } from './verify.js';

const root = mkdtempSync(join(tmpdir(), 'rampart-audit-retention-'));
const pgUrl = process.env.RAMPART_TEST_PG_URL;
const run = `${process.pid}_${Date.now()}`;
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
let files = 0;

const keys = generateKeyPairSync('ed25519');
const signer = checkpointSigner(keys.privateKey);
const trusted = { publicKey: keys.publicKey };
const DAY = 86_400_000;
const policy: RetentionPolicy = { days: { authorize_session: 30, api_activity: 30, authentication: 365 } };

/**
 * Day 0: authz.denied ×3, auth.login.failed ×2, keyring.rotated; day 40: authz.denied ×2, auth.login.failed.
 * Checkpoints after each day. Pruning on day 60 with `policy` removes the 3 old authz entries only.
 */
async function history(store: AuditStore): Promise<{ log: AuditLog; clock: ManualClock }> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const log = await AuditLog.open({ store, signer, clock, checkpointIntervalMs: 0 });
  const day = async (types: SecurityEventType[]) => {
    for (const [i, type] of types.entries()) await log.append(securityEvent(type, `user${i}`, { n: i }));
    await log.checkpoint();
  };
  await day(['authz.denied', 'auth.login.failed', 'authz.denied', 'keyring.rotated', 'auth.login.failed', 'authz.denied']);
  clock.advance(40 * DAY);
  await day(['authz.denied', 'auth.login.failed', 'authz.denied']);
  clock.advance(20 * DAY);
  return { log, clock };
}

async function rows(store: AuditStore): Promise<AuditRow[]> {
  const all: AuditRow[] = [];
  for await (const page of store.pages()) all.push(...page);
  return all;
}

describe('retention policy', () => {
  it('maps every event type to a class, and refuses bad policies', () => {
    expect(auditEventClass('auth.login.failed')).toBe('authentication');
    expect(auditEventClass('authz.denied')).toBe('authorize_session');
    expect(auditEventClass('keyring.rotated')).toBe('control_change');
    expect(auditEventClass('no.such.type')).toBeUndefined();
    checkRetentionPolicy(policy);
    for (const bad of [{ days: { authorize_session: 0 } }, { days: { authorize_session: 1.5 } }, { days: { authz: 30 } as never }, { days: { api_activity: Number.NaN } }]) {
      expect(() => { checkRetentionPolicy(bad); }).toThrow(ConfigurationError);
    }
    // A regime's floor (PCI DSS 10.5.1: one year) refuses a shorter period for any class.
    expect(() => { checkRetentionPolicy(policy, { floorDays: 365 }); }).toThrow(/at least 365/);
    checkRetentionPolicy({ days: { authentication: 400 } }, { floorDays: 365 });
  });
});

describe('AuditLog.prune on SQLite', () => {
  it('empties exactly the expired entries, records it, and the log still verifies with every proof intact', async () => {
    const path = join(root, `r${++files}.db`);
    const { log, clock } = await history(new SqliteAuditStore(path));
    const rootBefore = log.rootHash();
    const proofBefore = await log.inclusionProof(2, 9);
    const result = await log.prune(policy);
    expect(result.pruned).toBe(3);
    expect(result.byClass).toEqual({ authorize_session: 3 });
    expect(result.record?.seq).toBe(9);
    const stored = await rows(log.store);
    expect(stored.filter((row) => row.prunedBy !== undefined).map((row) => row.seq)).toEqual([0, 2, 5]);
    expect(stored.filter((row) => row.prunedBy !== undefined).every((row) => row.canonical === '' && row.prunedBy === 9)).toBe(true);
    // The record: counts and digest, never the content.
    const record = await log.entry(9);
    expect(record?.event).toMatchObject({ type: 'audit.pruned', attributes: { count: 3, firstSeq: 0, lastSeq: 5, authorize_sessionCount: 3 } });
    expect(String(record?.event.attributes?.digest)).toMatch(/^[0-9a-f]{64}$/);
    await expect(log.entry(2)).rejects.toMatchObject({ code: 'AUDIT_PRUNED' });
    // Hashes stay: the root of the first 9 entries and old proofs are unchanged.
    const head = await log.checkpoint();
    expect(await log.consistencyProof(9, 10)).toBeDefined();
    expect(toHex(merkleRoot(await log.store.leafHashes(0, 9)))).toBe(rootBefore);
    expect(await log.inclusionProof(2, 9)).toEqual(proofBefore);
    expect(checkInclusion((await log.entry(4))!.canonical, await log.inclusionProof(4, 10), head, keys.publicKey)).toBe(true);
    expect(await verify(log, trusted)).toEqual({ ok: true, entries: 10, checkpoints: 3 });
    // Pruning again finds nothing new (records themselves are never pruned), until more time passes.
    expect((await log.prune(policy)).pruned).toBe(0);
    clock.advance(400 * DAY);
    expect((await log.prune(policy)).pruned).toBe(5);
    await log.close();
    // The pruned log reopens (leaf hashes of pruned rows build the tree) and verifies.
    const reopened = await AuditLog.open({ store: new SqliteAuditStore(path), signer });
    expect(reopened.size).toBe(11);
    expect(await verify(reopened, { ...trusted, recomputeRoots: true })).toMatchObject({ ok: true, entries: 11 });
    await reopened.close();
  });

  it('never prunes an entry whose hash does not match its text: that is evidence for verify()', async () => {
    const path = join(root, `r${++files}.db`);
    const { log } = await history(new SqliteAuditStore(path));
    const db = new Database(path);
    const text = (db.prepare('SELECT canonical FROM audit_entries WHERE seq = 2').get() as { canonical: string }).canonical;
    db.prepare('UPDATE audit_entries SET canonical = ? WHERE seq = 2').run(text.replace('"user2"', '"admin"'));
    db.close();
    expect((await log.prune(policy)).pruned).toBe(2);
    expect(await verify(log, trusted)).toMatchObject({ ok: false, position: 2, problem: 'modified' });
    await log.close();
  });
});

describe('hiding entries behind retention (attacks)', () => {
  async function pruned(): Promise<{ path: string; db: Database.Database }> {
    const path = join(root, `r${++files}.db`);
    const { log } = await history(new SqliteAuditStore(path));
    await log.prune(policy);
    await log.close();
    return { path, db: new Database(path) };
  }
  async function check(path: string, db: Database.Database) {
    db.close();
    const store = new SqliteAuditStore(path);
    try {
      return await verify(store, trusted);
    } finally {
      await store.close();
    }
  }

  it('detects an entry emptied and attributed to a genuine prune record', async () => {
    const { path, db } = await pruned();
    db.prepare("UPDATE audit_entries SET canonical = '', pruned_by = 9 WHERE seq = 1").run();
    expect(await check(path, db)).toMatchObject({ ok: false, position: 0, problem: 'modified' });
  });

  it('detects an entry emptied and attributed to an entry that is not a prune record', async () => {
    const { path, db } = await pruned();
    db.prepare("UPDATE audit_entries SET canonical = '', pruned_by = 7 WHERE seq = 6").run();
    expect(await check(path, db)).toMatchObject({ ok: false, position: 6, problem: 'modified' });
  });

  it('detects an entry emptied without any prune mark, and a pruned mark pointing backwards', async () => {
    const first = await pruned();
    first.db.prepare("UPDATE audit_entries SET canonical = '' WHERE seq = 4").run();
    expect(await check(first.path, first.db)).toMatchObject({ ok: false, position: 4, problem: 'modified' });
    const second = await pruned();
    second.db.prepare("UPDATE audit_entries SET canonical = '', pruned_by = 3 WHERE seq = 4").run();
    expect(await check(second.path, second.db)).toMatchObject({ ok: false, position: 4, problem: 'modified' });
  });

  it('detects a pruned row given back forged content, and an edited prune record', async () => {
    const first = await pruned();
    first.db.prepare("UPDATE audit_entries SET pruned_by = NULL, canonical = '{}' WHERE seq = 2").run();
    expect(await check(first.path, first.db)).toMatchObject({ ok: false, position: 2, problem: 'modified' });
    const second = await pruned();
    const text = (second.db.prepare('SELECT canonical FROM audit_entries WHERE seq = 9').get() as { canonical: string }).canonical;
    second.db.prepare('UPDATE audit_entries SET canonical = ? WHERE seq = 9').run(text.replace('"count":3', '"count":4'));
    expect(await check(second.path, second.db)).toMatchObject({ ok: false, position: 9, problem: 'modified' });
  });
});

describe('prune atomicity and support', () => {
  it('prunes nothing when the transaction fails, and a store without appendPruning refuses', async () => {
    class Failing extends MemoryAuditStore {
      override appendPruning(): Promise<void> {
        return Promise.reject(new Error('disk full'));
      }
    }
    const store = new Failing();
    const { log } = await history(store);
    await expect(log.prune(policy)).rejects.toMatchObject({ code: 'AUDIT_FAILED' });
    expect((await rows(store)).some((row) => row.prunedBy !== undefined)).toBe(false);

    const plain = new MemoryAuditStore();
    Object.defineProperty(plain, 'appendPruning', { value: undefined });
    const other = await history(plain);
    await expect(other.log.prune(policy)).rejects.toBeInstanceOf(AuditError);
    await expect(other.log.prune(policy)).rejects.toMatchObject({ code: 'AUDIT_UNSUPPORTED' });
    await other.log.close();
  });
});

describe.skipIf(pgUrl === undefined)('AuditLog.prune on PostgreSQL (needs RAMPART_TEST_PG_URL)', () => {
  const pool = new pg.Pool({ connectionString: pgUrl, max: 4 });
  const table = `audit_retention_${run}`;
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS "${table}_entries"`);
    await pool.query(`DROP TABLE IF EXISTS "${table}_checkpoints"`);
    await pool.end();
  });

  it('prunes in one transaction with its record, and the log verifies', async () => {
    const { log } = await history(await PostgresAuditStore.open(pool, { table }));
    expect((await log.prune(policy)).pruned).toBe(3);
    const { rows: marked } = await pool.query<{ seq: string; canonical: string }>(`SELECT seq::text, canonical FROM "${table}_entries" WHERE pruned_by IS NOT NULL ORDER BY seq`);
    expect(marked).toEqual([0, 2, 5].map((seq) => ({ seq: String(seq), canonical: '' })));
    await log.close();
    expect(await verify(await PostgresAuditStore.open(pool, { table }), trusted)).toEqual({ ok: true, entries: 10, checkpoints: 3 });
  });
});
