import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { generateKeyPairSync, randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { securityEvent } from '../events.js';
import { checkpointSigner } from './checkpoint.js';
import { chainHash, leafHash } from './hash.js';
import { AuditLog } from './log.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { parallelPass } from './verify-parallel.js';
import { checkRange } from './verify-worker.js';
import { verify, type AuditVerification } from './verify.js';

// The parallel verify may only ever confirm: on any tampering it hands over to the sequential walk, so both must give
// the same verdict for every attack, wherever it lands relative to the ranges the threads split the log into.

const root = mkdtempSync(join(tmpdir(), 'rampart-audit-parallel-'));
const keys = generateKeyPairSync('ed25519');
const trusted = { publicKey: keys.publicKey };
const SIZE = 12_000;
const base = join(root, 'base.db');

beforeAll(async () => {
  const clock = new ManualClock();
  const log = await AuditLog.open({ store: new SqliteAuditStore(base), signer: checkpointSigner(keys.privateKey), clock, checkpointIntervalMs: 0 });
  for (let i = 0; i < SIZE; i += 1000) {
    await Promise.all(Array.from({ length: 1000 }, (_, j) => log.append(securityEvent(j % 2 === 0 ? 'authz.denied' : 'auth.login.failed', `user${i + j}`, { n: i + j }))));
    if (i === 5000 || i === 9000) await log.checkpoint();
  }
  await log.close();
}, 60_000);
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

let copies = 0;
/** A copy of the base log with `attack` applied by plain SQL; returns the verdicts with and without threads. */
async function both(attack: (db: Database.Database) => void): Promise<{ parallel: AuditVerification; sequential: AuditVerification }> {
  const path = join(root, `copy${++copies}.db`);
  copyFileSync(base, path);
  const db = new Database(path);
  attack(db);
  db.close();
  const store = new SqliteAuditStore(path);
  try {
    return { parallel: await verify(store, { ...trusted, workers: 2 }), sequential: await verify(store, { ...trusted, workers: 0 }) };
  } finally {
    await store.close();
  }
}

const text = (db: Database.Database, seq: number) => (db.prepare('SELECT canonical FROM audit_entries WHERE seq = ?').get(seq) as { canonical: string }).canonical;
const chainOf = (db: Database.Database, seq: number) => (db.prepare('SELECT chain_hash FROM audit_entries WHERE seq = ?').get(seq) as { chain_hash: Buffer }).chain_hash;

// Positions at the edges of the two ranges ([0, 6000) and [6000, 12000)) and inside them.
const positions = [0, 1, 5999, 6000, 6001, randomInt(2, 5999), randomInt(6002, SIZE - 2), SIZE - 1];

describe('parallel verify', () => {
  it('runs on threads and agrees on a clean log', async () => {
    const pass = await parallelPass(base, [5001, 9001, SIZE], 2);
    expect(pass?.entries).toBe(SIZE);
    expect([...(pass?.chainAt.keys() ?? [])].sort((a, b) => a - b)).toEqual([0, 5001, 9001, SIZE]);
    const { parallel, sequential } = await both(() => undefined);
    expect(parallel).toEqual({ ok: true, entries: SIZE, checkpoints: 3 });
    expect(parallel).toEqual(sequential);
  });

  it.each(positions)('gives the sequential verdict for every attack at position %i', async (p) => {
    const attacks: ((db: Database.Database) => void)[] = [
      (db) => db.prepare('UPDATE audit_entries SET canonical = ? WHERE seq = ?').run(text(db, p).replace('"user', '"admin'), p),
      (db) => {
        const forged = text(db, p).replace('"user', '"admin');
        const leaf = leafHash(forged);
        db.prepare('UPDATE audit_entries SET canonical = ?, leaf_hash = ?, chain_hash = ? WHERE seq = ?').run(forged, Buffer.from(leaf), Buffer.from(chainHash(p === 0 ? new Uint8Array(32) : chainOf(db, p - 1), leaf)), p);
      },
      (db) => db.prepare('UPDATE audit_entries SET leaf_hash = ? WHERE seq = ?').run(Buffer.alloc(32, 7), p),
      (db) => db.prepare('UPDATE audit_entries SET chain_hash = ? WHERE seq = ?').run(Buffer.alloc(31, 7), p),
      (db) => db.prepare("UPDATE audit_entries SET at = '2020-01-01T00:00:00.000Z' WHERE seq = ?").run(p),
      (db) => db.prepare('UPDATE audit_entries SET at = 5 WHERE seq = ?').run(p),
      (db) => db.prepare('DELETE FROM audit_entries WHERE seq = ?').run(p),
      (db) => db.prepare("UPDATE audit_entries SET canonical = '', pruned_by = ? WHERE seq = ?").run(SIZE - 1, p),
      (db) => db.prepare('UPDATE audit_entries SET canonical = CAST(canonical AS BLOB) WHERE seq = ?').run(p),
      // The threads read a page as texts joined by newlines: a stored newline or NUL must not shift or hide anything.
      (db) => db.prepare("UPDATE audit_entries SET canonical = canonical || char(10) || 'x' WHERE seq = ?").run(p),
      (db) => db.prepare('UPDATE audit_entries SET canonical = canonical || char(0) WHERE seq = ?').run(p),
      (db) => db.prepare('UPDATE audit_entries SET at = at || char(10) WHERE seq = ?').run(p),
      (db) => {
        const q = p === SIZE - 1 ? p - 1 : p + 1;
        db.prepare('UPDATE audit_entries SET seq = -1 WHERE seq = ?').run(p);
        db.prepare('UPDATE audit_entries SET seq = ? WHERE seq = ?').run(p, q);
        db.prepare('UPDATE audit_entries SET seq = ? WHERE seq = -1').run(q);
      },
      (db) => db.prepare('DELETE FROM audit_entries WHERE seq >= ?').run(p),
    ];
    for (const attack of attacks) {
      const { parallel, sequential } = await both(attack);
      expect(parallel).toEqual(sequential);
      expect(parallel.ok).toBe(false);
    }
  });

  it('confirms a log whose expired entries were pruned, with the prune records checked', async () => {
    const path = join(root, `copy${++copies}.db`);
    copyFileSync(base, path);
    const clock = new ManualClock(Date.UTC(2027, 0, 1));
    const log = await AuditLog.open({ store: new SqliteAuditStore(path), signer: checkpointSigner(keys.privateKey), clock, checkpointIntervalMs: 0 });
    expect((await log.prune({ days: { authorize_session: 30 } })).pruned).toBe(SIZE / 2);
    await log.close();
    const pass = await parallelPass(path, [], 2);
    expect([...(pass?.pruned.values() ?? [])].flat()).toHaveLength(SIZE / 2);
    const store = new SqliteAuditStore(path);
    const parallel = await verify(store, { ...trusted, workers: 2 });
    expect(parallel).toEqual({ ok: true, entries: SIZE + 1, checkpoints: 4 });
    expect(parallel).toEqual(await verify(store, { ...trusted, workers: 0 }));
    // And one more row emptied under the same record is caught on both paths alike.
    const db = new Database(path);
    db.prepare("UPDATE audit_entries SET canonical = '', pruned_by = ? WHERE seq = 1").run(SIZE);
    db.close();
    const tampered = await verify(store, { ...trusted, workers: 2 });
    expect(tampered).toMatchObject({ ok: false, problem: 'modified' });
    expect(tampered).toEqual(await verify(store, { ...trusted, workers: 0 }));
    await store.close();
  });

  it('refuses a range whose rows do not hold, in the thread itself', () => {
    const path = join(root, `copy${++copies}.db`);
    copyFileSync(base, path);
    const db = new Database(path);
    db.prepare('UPDATE audit_entries SET canonical = ? WHERE seq = 10').run(text(db, 10).replace('"user', '"admin'));
    db.close();
    expect(checkRange({ id: 1, path, start: 0, end: 100, previousChain: new Uint8Array(32), reportAt: [] })).toMatchObject({ ok: false });
    expect(checkRange({ id: 2, path, start: 11, end: 100, previousChain: chainOfFile(path, 10), reportAt: [50] })).toMatchObject({ ok: true });
  });
});

function chainOfFile(path: string, seq: number): Uint8Array {
  const db = new Database(path, { readonly: true });
  try {
    return chainOf(db, seq);
  } finally {
    db.close();
  }
}
