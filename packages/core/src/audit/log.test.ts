import Database from 'better-sqlite3';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { securityEvent } from '../events.js';
import { checkpointSigner } from './checkpoint.js';
import { AuditError } from './errors.js';
import { leafHash } from './hash.js';
import { AuditLog } from './log.js';
import { merkleRoot } from './merkle.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { MemoryAuditStore, type AuditRow } from './store.js';
import { checkConsistency, checkInclusion, verify } from './verify.js';

const root = mkdtempSync(join(tmpdir(), 'rampart-audit-log-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
let files = 0;
const dbPath = () => join(root, `log${++files}.db`);

const keys = generateKeyPairSync('ed25519');
const signer = checkpointSigner(keys.privateKey);
const login = (i: number) => securityEvent('auth.login.failed', `user${i}`, { attempt: i });

/** Records how the log uses its store (a real SQLite store underneath). */
class CountingStore extends SqliteAuditStore {
  batches: number[] = [];
  leafReads = 0;
  override append(rows: readonly AuditRow[]): void {
    this.batches.push(rows.length);
    super.append(rows);
  }
  override leafHashes(start: number, end: number): Uint8Array[] {
    this.leafReads += 1;
    return super.leafHashes(start, end);
  }
}

class FailingStore extends MemoryAuditStore {
  override append(): void {
    throw new Error('disk full');
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('AuditLog', () => {
  it('acknowledges each entry only once its transaction has committed', async () => {
    const store = new SqliteAuditStore(dbPath());
    const log = AuditLog.open({ store, signer, clock: new ManualClock() });
    const results = await Promise.all([0, 1, 2].map(async (i) => {
      const result = await log.append(login(i));
      expect(store.row(result.seq)).toBeDefined();
      return result;
    }));
    expect(results.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(results[2]!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(log.entry(1)).toMatchObject({ seq: 1, at: '2026-01-01T00:00:00.000Z', event: { type: 'auth.login.failed', subject: 'user1', attributes: { attempt: 1 } } });
    expect(log.entry(3)).toBeUndefined();
    await log.close();
  });

  it('commits appends made in one tick as one transaction, at most maxBatch rows each', async () => {
    const store = new CountingStore(dbPath());
    const log = AuditLog.open({ store, signer, maxBatch: 4 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => log.append(login(i))));
    await log.append(login(10));
    expect(store.batches).toEqual([4, 4, 2, 1]);
    await log.close();
  });

  it('keeps the Merkle root incrementally: no leaf reads per append, root equals MTH', async () => {
    const store = new CountingStore(dbPath());
    const log = AuditLog.open({ store, signer });
    const readsAtOpen = store.leafReads;
    for (let i = 0; i < 50; i++) await log.append(login(i));
    expect(store.leafReads).toBe(readsAtOpen);
    const leaves = [...store.rows()].map((row) => leafHash(row.canonical));
    expect(log.rootHash()).toBe(Buffer.from(merkleRoot(leaves)).toString('hex'));
    await log.close();
  });

  it('continues the chain after reopening and stays verifiable', async () => {
    const path = dbPath();
    let log = AuditLog.open({ store: new SqliteAuditStore(path), signer });
    for (let i = 0; i < 5; i++) await log.append(login(i));
    await log.close();
    log = AuditLog.open({ store: new SqliteAuditStore(path), signer });
    expect(log.size).toBe(5);
    expect((await log.append(login(5))).seq).toBe(5);
    await log.checkpoint();
    expect(verify(log, { publicKey: keys.publicKey })).toEqual({ ok: true, entries: 6, checkpoints: 2 });
    await log.close();
  });

  it('gives inclusion and consistency proofs that check against signed heads', async () => {
    const log = AuditLog.open({ store: new MemoryAuditStore(), signer });
    for (let i = 0; i < 5; i++) await log.append(login(i));
    const small = await log.checkpoint();
    for (let i = 5; i < 13; i++) await log.append(login(i));
    const big = await log.checkpoint();
    for (let seq = 0; seq < 13; seq++) {
      const proof = log.inclusionProof(seq, 13);
      expect(checkInclusion(log.entry(seq)!.canonical, proof, big, keys.publicKey)).toBe(true);
      expect(checkInclusion(log.entry((seq + 1) % 13)!.canonical, proof, big, keys.publicKey)).toBe(false);
    }
    expect(checkInclusion(log.entry(2)!.canonical, log.inclusionProof(2, 5), small, keys.publicKey)).toBe(true);
    expect(checkInclusion(log.entry(2)!.canonical, log.inclusionProof(2, 5), big, keys.publicKey)).toBe(false);
    expect(checkConsistency(log.consistencyProof(5, 13), small, big, keys.publicKey)).toBe(true);
    expect(checkConsistency(log.consistencyProof(4, 13), small, big, keys.publicKey)).toBe(false);
    expect(() => log.inclusionProof(13, 13)).toThrow(AuditError);
    expect(() => log.inclusionProof(0, 14)).toThrow(AuditError);
    expect(() => log.consistencyProof(5, 5)).toThrow(AuditError);
    expect(() => log.consistencyProof(0, 5)).toThrow(AuditError);
    await log.close();
  });

  it('refuses unrepresentable events without consuming a seq', async () => {
    const log = AuditLog.open({ store: new MemoryAuditStore(), signer });
    const error = await rejection(log.append(securityEvent('auth.login.failed', 'x', { n: Number.NaN })));
    expect(error).toBeInstanceOf(AuditError);
    expect((error as AuditError).code).toBe('AUDIT_UNREPRESENTABLE');
    expect((await log.append(login(0))).seq).toBe(0);
    await log.close();
  });

  it('fails every pending append when the store fails, and refuses appends after that', async () => {
    const log = AuditLog.open({ store: new FailingStore(), signer });
    const errors = await Promise.all([rejection(log.append(login(0))), rejection(log.append(login(1)))]);
    expect(errors.map((e) => (e as AuditError).code)).toEqual(['AUDIT_FAILED', 'AUDIT_FAILED']);
    expect(((await rejection(log.append(login(2)))) as AuditError).code).toBe('AUDIT_FAILED');
    expect(((await rejection(log.checkpoint())) as AuditError).code).toBe('AUDIT_FAILED');
  });

  it('signs a checkpoint on close and refuses appends afterwards', async () => {
    const store = new MemoryAuditStore();
    const log = AuditLog.open({ store, signer });
    void log.append(login(0));
    const head = await log.close();
    expect(head?.treeSize).toBe(1);
    expect(store.checkpoints()).toHaveLength(1);
    expect(((await rejection(log.append(login(1)))) as AuditError).code).toBe('AUDIT_CLOSED');
    expect(await log.close()).toBeUndefined();
  });

  it('refuses to open over a store with a gap', async () => {
    const path = dbPath();
    const log = AuditLog.open({ store: new SqliteAuditStore(path), signer });
    for (let i = 0; i < 3; i++) await log.append(login(i));
    await log.close();
    const db = new Database(path);
    db.prepare('DELETE FROM audit_entries WHERE seq = 1').run();
    db.close();
    const store = new SqliteAuditStore(path);
    expect(() => AuditLog.open({ store, signer })).toThrow(expect.objectContaining({ code: 'AUDIT_STORE_CORRUPT' }) as Error);
    store.close();
  });
});
