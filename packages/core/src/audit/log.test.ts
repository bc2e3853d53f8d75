import Database from 'better-sqlite3';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../clock.js';
import { securityEvent } from '../events.js';
import { checkpointSigner } from './checkpoint.js';
import { AuditError } from './errors.js';
import { leafHash } from './hash.js';
import { AuditLog } from './log.js';
import { merkleRoot } from './merkle.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { MemoryAuditStore, type AuditRow, type AuditStore } from './store.js';
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
  override append(rows: readonly AuditRow[]): Promise<void> {
    this.batches.push(rows.length);
    return super.append(rows);
  }
  override leafHashes(start: number, end: number): Promise<Uint8Array[]> {
    this.leafReads += 1;
    return super.leafHashes(start, end);
  }
}

class FailingStore extends MemoryAuditStore {
  override append(): Promise<void> {
    return Promise.reject(new Error('disk full'));
  }
}

/** A store whose commits take a while (a network database), holding each until `release()`. */
class SlowStore extends MemoryAuditStore {
  batches: number[] = [];
  readonly #waiting: (() => void)[] = [];
  override async append(rows: readonly AuditRow[]): Promise<void> {
    this.batches.push(rows.length);
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
    return super.append(rows);
  }
  release(): void {
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
  get pending(): number {
    return this.#waiting.length;
  }
}

async function allRows(store: AuditStore): Promise<AuditRow[]> {
  const rows: AuditRow[] = [];
  for await (const page of store.pages()) rows.push(...page);
  return rows;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

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
    const log = await AuditLog.open({ store, signer, clock: new ManualClock() });
    const results = await Promise.all([0, 1, 2].map(async (i) => {
      const result = await log.append(login(i));
      expect(await store.row(result.seq)).toBeDefined();
      return result;
    }));
    expect(results.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(results[2]!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await log.entry(1)).toMatchObject({ seq: 1, at: '2026-01-01T00:00:00.000Z', event: { type: 'auth.login.failed', subject: 'user1', attributes: { attempt: 1 } } });
    expect(await log.entry(3)).toBeUndefined();
    await log.close();
  });

  it('commits appends made in one tick as one transaction, at most maxBatch rows each', async () => {
    const store = new CountingStore(dbPath());
    const log = await AuditLog.open({ store, signer, maxBatch: 4 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => log.append(login(i))));
    await log.append(login(10));
    expect(store.batches).toEqual([4, 4, 2, 1]);
    await log.close();
  });

  it('keeps the Merkle root incrementally: no leaf reads per append, root equals MTH', async () => {
    const store = new CountingStore(dbPath());
    const log = await AuditLog.open({ store, signer });
    const readsAtOpen = store.leafReads;
    for (let i = 0; i < 50; i++) await log.append(login(i));
    expect(store.leafReads).toBe(readsAtOpen);
    const leaves = (await allRows(store)).map((row) => leafHash(row.canonical));
    expect(log.rootHash()).toBe(Buffer.from(merkleRoot(leaves)).toString('hex'));
    await log.close();
  });

  it('continues the chain after reopening and stays verifiable', async () => {
    const path = dbPath();
    let log = await AuditLog.open({ store: new SqliteAuditStore(path), signer });
    for (let i = 0; i < 5; i++) await log.append(login(i));
    await log.close();
    log = await AuditLog.open({ store: new SqliteAuditStore(path), signer });
    expect(log.size).toBe(5);
    expect((await log.append(login(5))).seq).toBe(5);
    await log.checkpoint();
    expect(await verify(log, { publicKey: keys.publicKey })).toEqual({ ok: true, entries: 6, checkpoints: 2 });
    await log.close();
  });

  it('gives inclusion and consistency proofs that check against signed heads', async () => {
    const log = await AuditLog.open({ store: new MemoryAuditStore(), signer });
    for (let i = 0; i < 5; i++) await log.append(login(i));
    const small = await log.checkpoint();
    for (let i = 5; i < 13; i++) await log.append(login(i));
    const big = await log.checkpoint();
    const text = async (seq: number) => (await log.entry(seq))!.canonical;
    for (let seq = 0; seq < 13; seq++) {
      const proof = await log.inclusionProof(seq, 13);
      expect(checkInclusion(await text(seq), proof, big, keys.publicKey)).toBe(true);
      expect(checkInclusion(await text((seq + 1) % 13), proof, big, keys.publicKey)).toBe(false);
    }
    expect(checkInclusion(await text(2), await log.inclusionProof(2, 5), small, keys.publicKey)).toBe(true);
    expect(checkInclusion(await text(2), await log.inclusionProof(2, 5), big, keys.publicKey)).toBe(false);
    expect(checkConsistency(await log.consistencyProof(5, 13), small, big, keys.publicKey)).toBe(true);
    expect(checkConsistency(await log.consistencyProof(4, 13), small, big, keys.publicKey)).toBe(false);
    for (const attempt of [() => log.inclusionProof(13, 13), () => log.inclusionProof(0, 14), () => log.consistencyProof(5, 5), () => log.consistencyProof(0, 5)]) {
      await expect(attempt()).rejects.toThrow(AuditError);
    }
    await log.close();
  });

  it('refuses unrepresentable events without consuming a seq', async () => {
    const log = await AuditLog.open({ store: new MemoryAuditStore(), signer });
    const error = await rejection(log.append(securityEvent('auth.login.failed', 'x', { n: Number.NaN })));
    expect(error).toBeInstanceOf(AuditError);
    expect((error as AuditError).code).toBe('AUDIT_UNREPRESENTABLE');
    expect((await log.append(login(0))).seq).toBe(0);
    await log.close();
  });

  it('fails every pending append when the store fails, and refuses appends after that', async () => {
    const log = await AuditLog.open({ store: new FailingStore(), signer });
    const errors = await Promise.all([rejection(log.append(login(0))), rejection(log.append(login(1)))]);
    expect(errors.map((e) => (e as AuditError).code)).toEqual(['AUDIT_FAILED', 'AUDIT_FAILED']);
    expect(((await rejection(log.append(login(2)))) as AuditError).code).toBe('AUDIT_FAILED');
    expect(((await rejection(log.checkpoint())) as AuditError).code).toBe('AUDIT_FAILED');
  });

  it('signs a checkpoint on close and refuses appends afterwards', async () => {
    const store = new MemoryAuditStore();
    const log = await AuditLog.open({ store, signer });
    void log.append(login(0));
    const head = await log.close();
    expect(head?.treeSize).toBe(1);
    expect(await store.checkpoints()).toHaveLength(1);
    expect(((await rejection(log.append(login(1)))) as AuditError).code).toBe('AUDIT_CLOSED');
    expect(await log.close()).toBeUndefined();
  });

  it('refuses to open over a store with a gap', async () => {
    const path = dbPath();
    const log = await AuditLog.open({ store: new SqliteAuditStore(path), signer });
    for (let i = 0; i < 3; i++) await log.append(login(i));
    await log.close();
    const db = new Database(path);
    db.prepare('DELETE FROM audit_entries WHERE seq = 1').run();
    db.close();
    const store = new SqliteAuditStore(path);
    await expect(AuditLog.open({ store, signer })).rejects.toMatchObject({ code: 'AUDIT_STORE_CORRUPT' });
    await store.close();
  });

  it('queues appends made while a batch is being written and sends them as the next batch (group commit)', async () => {
    const store = new SlowStore();
    const log = await AuditLog.open({ store, signer, checkpointIntervalMs: 0 });
    const first = log.append(login(0));
    await tick();
    expect(store.batches).toEqual([1]);
    const more = Array.from({ length: 5 }, (_, i) => log.append(login(i + 1)));
    await tick();
    // Still one write in flight: nothing else was sent, and nothing was acknowledged before its commit.
    expect(store.batches).toEqual([1]);
    let acknowledged = 0;
    for (const p of more) void p.then(() => (acknowledged += 1));
    store.release();
    expect((await first).seq).toBe(0);
    await tick();
    expect(store.batches).toEqual([1, 5]);
    expect(acknowledged).toBe(0);
    store.release();
    expect((await Promise.all(more)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    const closing = log.close();
    await tick();
    expect(store.pending).toBe(0);
    expect((await closing)?.treeSize).toBe(6);
  });

  it('signs a checkpoint on a timer when entries were added, and not when none were', async () => {
    const store = new MemoryAuditStore();
    const log = await AuditLog.open({ store, signer, checkpointIntervalMs: 20 });
    await log.append(login(0));
    await vi.waitFor(async () => { expect(await store.checkpoints()).toHaveLength(1); }, { timeout: 2000, interval: 10 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await store.checkpoints()).toHaveLength(1);
    await log.append(login(1));
    await vi.waitFor(async () => { expect((await store.checkpoints()).map((h) => h.treeSize)).toEqual([1, 2]); }, { timeout: 2000, interval: 10 });
    await log.close();
  });

  it('takes the store writer lock before reading the tail', async () => {
    const calls: string[] = [];
    class LockingStore extends MemoryAuditStore {
      lockWriter(): Promise<void> {
        calls.push('lock');
        return Promise.resolve();
      }
      override tail() {
        calls.push('tail');
        return super.tail();
      }
    }
    const log = await AuditLog.open({ store: new LockingStore(), signer });
    expect(calls).toEqual(['lock', 'tail']);
    await log.close();
  });

  it('stores canonical RFC 8785 text for any event, after redaction and escaping', async () => {
    // append writes the canonical text without re-checking the redacted event; this holds it to the checked writer.
    const log = await AuditLog.open({ store: new MemoryAuditStore(), signer, checkpointIntervalMs: 0 });
    const value = fc.oneof(
      fc.string({ unit: 'grapheme-composite', maxLength: 20 }),
      fc.string({ unit: 'binary', maxLength: 12 }).filter((t) => (t as string & { isWellFormed(): boolean }).isWellFormed()),
      fc.constantFrom('Bearer abc.def', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig', '4111 1111 1111 1111', 'a\r\nb', '\u202e', 'pw=x'),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 12 }), fc.dictionary(fc.string({ maxLength: 10 }), value, { maxKeys: 6 }), async (subject, attributes) => {
        if (!(subject as string & { isWellFormed(): boolean }).isWellFormed()) return;
        if (Object.keys(attributes).some((k) => !(k as string & { isWellFormed(): boolean }).isWellFormed())) return;
        const { seq } = await log.append(securityEvent('auth.login.failed', subject, attributes));
        const stored = await log.entry(seq); // parseCanonicalEntry: throws unless the text is exactly canonical
        expect(stored?.canonical).toBe(canonicalize(JSON.parse(stored!.canonical)));
      }),
      { numRuns: 300 },
    );
    await log.close();
  });

  it('refuses a bad maxBatch or checkpoint interval', async () => {
    for (const options of [{ maxBatch: 0 }, { maxBatch: 1.5 }, { checkpointIntervalMs: -1 }]) {
      await expect(AuditLog.open({ store: new MemoryAuditStore(), signer, ...options })).rejects.toThrow(/maxBatch|checkpointIntervalMs/);
    }
  });
});
