import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { securityEvent } from '../events.js';
import { checkpointSigner, signTreeHead } from './checkpoint.js';
import { chainHash, GENESIS_CHAIN_HASH, leafHash, toHex } from './hash.js';
import { JsonlAuditStore } from './jsonl-store.js';
import { AuditLog } from './log.js';
import { PostgresAuditStore } from './pg-store.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { AUDIT_PAGE_SIZE, MemoryAuditStore, type AuditRow, type AuditStore } from './store.js';
import { verify } from './verify.js';

// One contract, every store: what AuditLog and verify() rely on, on real SQLite files, real JSONL files and a real
// PostgreSQL server.

const root = mkdtempSync(join(tmpdir(), 'rampart-audit-store-'));
const pgUrl = process.env.RAMPART_TEST_PG_URL;
const pool = pgUrl === undefined ? undefined : new pg.Pool({ connectionString: pgUrl, max: 6 });
const run = `${process.pid}_${Date.now()}`;
const pgTables: string[] = [];
let opened = 0;

afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  if (pool !== undefined) {
    for (const table of pgTables) {
      await pool.query(`DROP TABLE IF EXISTS "${table}_entries"`);
      await pool.query(`DROP TABLE IF EXISTS "${table}_checkpoints"`);
    }
    await pool.end();
  }
});

const keys = generateKeyPairSync('ed25519');
const signer = checkpointSigner(keys.privateKey);

function rowsFrom(start: number, count: number, previous: Uint8Array = GENESIS_CHAIN_HASH): AuditRow[] {
  const rows: AuditRow[] = [];
  for (let seq = start; seq < start + count; seq++) {
    const at = new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString();
    const canonical = `{"at":"${at}","event":{"at":"${at}","type":"test"},"seq":${seq}}`;
    const leaf = leafHash(canonical);
    previous = chainHash(previous, leaf);
    rows.push({ seq, at, canonical, leafHash: leaf, chainHash: previous });
  }
  return rows;
}

async function collect(store: AuditStore): Promise<{ rows: AuditRow[]; pages: number }> {
  const rows: AuditRow[] = [];
  let pages = 0;
  for await (const page of store.pages()) {
    rows.push(...page);
    pages += 1;
  }
  return { rows, pages };
}

interface Kind {
  readonly name: string;
  readonly available: boolean;
  /** A fresh, empty store; `reopen` gives a second handle on the same log. */
  readonly fresh: () => Promise<{ store: AuditStore; reopen: () => Promise<AuditStore> }>;
}

const kinds: Kind[] = [
  {
    name: 'memory',
    available: true,
    fresh: () => {
      const store = new MemoryAuditStore();
      return Promise.resolve({ store, reopen: () => Promise.resolve(store) });
    },
  },
  {
    name: 'SQLite',
    available: true,
    fresh: () => {
      const path = join(root, `store${++opened}.db`);
      return Promise.resolve({ store: new SqliteAuditStore(path), reopen: () => Promise.resolve(new SqliteAuditStore(path)) });
    },
  },
  {
    name: 'JSONL files',
    available: true,
    fresh: async () => {
      const dir = join(root, `jsonl${++opened}`);
      return { store: await JsonlAuditStore.open(dir), reopen: () => JsonlAuditStore.open(dir) };
    },
  },
  {
    // Every batch past 4 KiB starts a segment: the same contract across many segment boundaries.
    name: 'JSONL files, 4 KiB segments',
    available: true,
    fresh: async () => {
      const dir = join(root, `jsonl${++opened}`);
      const open = () => JsonlAuditStore.open(dir, { maxSegmentBytes: 4096 });
      return { store: await open(), reopen: open };
    },
  },
  {
    name: 'PostgreSQL (needs RAMPART_TEST_PG_URL)',
    available: pool !== undefined,
    fresh: async () => {
      const table = `audit_store_${run}_${++opened}`;
      pgTables.push(table);
      return { store: await PostgresAuditStore.open(pool as pg.Pool, { table }), reopen: () => PostgresAuditStore.open(pool as pg.Pool, { table }) };
    },
  },
];

for (const kind of kinds) {
  describe.skipIf(!kind.available)(`audit store contract: ${kind.name}`, () => {
    it('starts empty, appends atomically in sequence, and reads back exactly what was written', async () => {
      const { store, reopen } = await kind.fresh();
      expect(await store.tail()).toEqual({ count: 0, nextSeq: 0, last: undefined });
      const rows = rowsFrom(0, 5);
      await store.append(rows.slice(0, 2));
      await store.append(rows.slice(2));
      const tail = await store.tail();
      expect(tail.count).toBe(5);
      expect(tail.nextSeq).toBe(5);
      expect(toHex(tail.last?.chainHash ?? new Uint8Array())).toBe(toHex(rows[4]!.chainHash));
      const again = await reopen();
      const read = (await collect(again)).rows;
      expect(read.map((r) => [r.seq, r.at, r.canonical, toHex(r.leafHash), toHex(r.chainHash)])).toEqual(
        rows.map((r) => [r.seq, r.at, r.canonical, toHex(r.leafHash), toHex(r.chainHash)]),
      );
      expect((await again.row(3))?.canonical).toBe(rows[3]!.canonical);
      expect(await again.row(99)).toBeUndefined();
      expect((await again.leafHashes(1, 4)).map(toHex)).toEqual(rows.slice(1, 4).map((r) => toHex(r.leafHash)));
      await store.close();
      if (again !== store) await again.close();
    });

    it('refuses a batch that repeats a seq, keeping none of it', async () => {
      const { store } = await kind.fresh();
      const rows = rowsFrom(0, 3);
      await store.append(rows);
      const clash = rowsFrom(2, 3, rows[1]!.chainHash);
      await expect(store.append(clash)).rejects.toThrow();
      expect((await store.tail()).count).toBe(3);
      await store.close();
    });

    it('pages through more rows than one page holds, in seq order', async () => {
      const { store } = await kind.fresh();
      const total = AUDIT_PAGE_SIZE * 2 + 17;
      const rows = rowsFrom(0, total);
      for (let i = 0; i < total; i += 1000) await store.append(rows.slice(i, i + 1000));
      const { rows: read, pages } = await collect(store);
      expect(pages).toBe(3);
      expect(read.map((r) => r.seq)).toEqual(rows.map((r) => r.seq));
      await store.close();
    });

    it('keeps checkpoints sorted by tree size', async () => {
      const { store } = await kind.fresh();
      const rows = rowsFrom(0, 3);
      await store.append(rows);
      const late = signTreeHead(signer, 3, leafHash('r3'), rows[2]!.chainHash, '2026-01-01T00:00:03.000Z');
      const early = signTreeHead(signer, 1, leafHash('r1'), rows[0]!.chainHash, '2026-01-01T00:00:01.000Z');
      await store.addCheckpoint(late);
      await store.addCheckpoint(early);
      expect(await store.checkpoints()).toEqual([early, late]);
      await store.close();
    });

    it('carries a log across close and reopen, and the reopened log verifies', async () => {
      const { store, reopen } = await kind.fresh();
      const clock = new ManualClock();
      let log = await AuditLog.open({ store, signer, clock });
      for (let i = 0; i < 20; i++) await log.append(securityEvent('auth.login.failed', `user${i}`, { i }));
      await log.close();
      log = await AuditLog.open({ store: await reopen(), signer, clock });
      await Promise.all(Array.from({ length: 30 }, (_, i) => log.append(securityEvent('authz.denied', `user${i}`))));
      await log.close();
      const check = await reopen();
      expect(await verify(check, { publicKey: keys.publicKey, recomputeRoots: true })).toEqual({ ok: true, entries: 50, checkpoints: 2 });
      await check.close();
    });
  });
}

describe.skipIf(pool === undefined)('PostgresAuditStore specifics (needs RAMPART_TEST_PG_URL)', () => {
  it('lets one writer at a time continue a log: a second writer waits, then fails', async () => {
    const table = `audit_lock_${run}`;
    pgTables.push(table);
    const first = await AuditLog.open({ store: await PostgresAuditStore.open(pool as pg.Pool, { table }), signer });
    await first.append(securityEvent('auth.login.failed', 'a'));
    const second = await PostgresAuditStore.open(pool as pg.Pool, { table, lockTimeoutMs: 200 });
    await expect(AuditLog.open({ store: second, signer })).rejects.toMatchObject({ code: 'AUDIT_FAILED' });
    await first.close();
    // The lock went with the first writer's connection: now the second continues the chain.
    const third = await AuditLog.open({ store: await PostgresAuditStore.open(pool as pg.Pool, { table }), signer });
    expect((await third.append(securityEvent('auth.login.failed', 'b'))).seq).toBe(1);
    await third.close();
  });

  it('refuses table names that are not plain identifiers', async () => {
    for (const table of ['audit"; DROP TABLE x; --', 'a.b.c', '', 'bad name']) {
      await expect(PostgresAuditStore.open(pool as pg.Pool, { table })).rejects.toThrow();
    }
  });
});

describe('values read back from a tampered store', () => {
  it('coerce to what fails verification, never to a guess', async () => {
    const { storedBytes, storedInteger, storedText } = await import('./stored.js');
    expect(storedInteger(5)).toBe(5);
    expect(storedInteger(5n)).toBe(5);
    expect(storedInteger('-12')).toBe(-12);
    for (const bad of [1.5, 2 ** 53, 2n ** 60n, '9007199254740993', '1e3', ' 7', null, undefined, {}]) expect(storedInteger(bad)).toBeNaN();
    expect(storedText(7)).toBe('');
    expect(storedBytes('00'.repeat(32))).toHaveLength(0);
  });
});
