// The tamper-evident audit log against the same rows written and read without the chain: what redaction, RFC 8785
// canonicalisation, the hash chain and the Merkle compact range cost on top of the database. SQLite: WAL and
// synchronous = FULL on both sides; PostgreSQL (RAMPART_BENCH_PG_URL, else RAMPART_TEST_PG_URL): one multi-row INSERT
// per batch on both sides. 1,000 appends per batch everywhere.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { AuditLog, PostgresAuditStore, SqliteAuditStore, checkpointSigner, verify, type AuditStore } from '../packages/core/src/audit/index.js';
import type { SecurityEvent } from '../packages/core/src/events.js';
import { compare, type BenchRow } from './harness.js';

/** Appends per timed call: one group-committed batch on both sides. */
const BATCH = 1000;
/** Entries in the log that `verify()` walks. */
const VERIFY_ENTRIES = 100_000;

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signer = checkpointSigner(privateKey);

function event(i: number): SecurityEvent {
  return {
    type: i % 3 === 0 ? 'auth.login.failed' : 'authz.denied',
    at: new Date(1_767_225_600_000 + i * 1000),
    subject: `user-${i % 977}`,
    attributes: { clientIp: `203.0.113.${i % 250}`, kind: 'document', resourceId: `doc-${i}`, reason: 'no_rule_matched' },
  };
}

/** The peer on SQLite: the same events as JSON rows in one table, no redaction, no canonical form, no hashes. */
function plainSqlite(path: string): { append: (events: readonly SecurityEvent[]) => void; scan: () => number; close: () => void } {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS plain_entries (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, event TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO plain_entries (at, event) VALUES (?, ?)');
  const appendAll = db.transaction((events: readonly SecurityEvent[]) => {
    for (const e of events) insert.run(new Date().toISOString(), JSON.stringify(e));
  });
  const all = db.prepare('SELECT seq, at, event FROM plain_entries ORDER BY seq');
  return {
    append: (events) => {
      appendAll(events);
    },
    scan: () => {
      let n = 0;
      for (const row of all.iterate() as Iterable<{ event: string }>) {
        JSON.parse(row.event);
        n += 1;
      }
      return n;
    },
    close: () => db.close(),
  };
}

/** Appends BATCH events concurrently, as request handlers would, and waits for every acknowledgement. */
function chainedBatch(log: AuditLog): () => Promise<void> {
  let next = 0;
  return async () => {
    const start = next;
    next += BATCH;
    await Promise.all(Array.from({ length: BATCH }, (_, i) => log.append(event(start + i))));
  };
}

async function sqliteRows(dir: string): Promise<BenchRow[]> {
  const log = await AuditLog.open({ store: new SqliteAuditStore(join(dir, 'audit.db')), signer, maxBatch: BATCH, checkpointIntervalMs: 0 });
  const plain = plainSqlite(join(dir, 'plain.db'));
  const batch = Array.from({ length: BATCH }, (_, i) => event(i));
  const row = await compare(
    `audit append, ${BATCH} per batch (SQLite)`,
    { name: 'rampart AuditLog.append (chained)', batch: BATCH, fn: chainedBatch(log) },
    { name: 'better-sqlite3 insert, no chain', batch: BATCH, fn: () => { plain.append(batch); } },
  );
  await log.close();
  plain.close();
  return [row];
}

async function postgresRows(url: string): Promise<BenchRow[]> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const table = `rampart_audit_bench_${process.pid}`;
  try {
    const log = await AuditLog.open({ store: await PostgresAuditStore.open(pool, { table }), signer, maxBatch: BATCH, checkpointIntervalMs: 0 });
    await pool.query(`CREATE TABLE "${table}_plain" (seq bigserial PRIMARY KEY, at text NOT NULL, event text NOT NULL)`);
    const batch = Array.from({ length: BATCH }, (_, i) => event(i));
    const placeholders = batch.map((_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(', ');
    const plainInsert = `INSERT INTO "${table}_plain" (at, event) VALUES ${placeholders}`;
    const row = await compare(
      `audit append, ${BATCH} per batch (PostgreSQL)`,
      { name: 'rampart AuditLog.append (chained)', batch: BATCH, fn: chainedBatch(log) },
      {
        name: 'pg multi-row INSERT, no chain',
        batch: BATCH,
        fn: async () => {
          await pool.query(plainInsert, batch.flatMap((e) => [new Date().toISOString(), JSON.stringify(e)]));
        },
      },
    );
    await log.close();
    return [row];
  } finally {
    for (const suffix of ['entries', 'checkpoints', 'plain']) await pool.query(`DROP TABLE IF EXISTS "${table}_${suffix}"`);
    await pool.end();
  }
}

async function verifyRows(dir: string): Promise<BenchRow[]> {
  // verify() over a log of VERIFY_ENTRIES with a checkpoint every 10,000, vs reading and JSON-parsing the same rows.
  const store: AuditStore = new SqliteAuditStore(join(dir, 'verify.db'));
  const big = await AuditLog.open({ store, signer, maxBatch: BATCH, checkpointIntervalMs: 0 });
  const scanned = plainSqlite(join(dir, 'scan.db'));
  for (let i = 0; i < VERIFY_ENTRIES; i += BATCH) {
    const chunk = Array.from({ length: BATCH }, (_, j) => event(i + j));
    await Promise.all(chunk.map((e) => big.append(e)));
    scanned.append(chunk);
    if ((i + BATCH) % 10_000 === 0) await big.checkpoint();
  }
  await big.close();
  const reader = new SqliteAuditStore(join(dir, 'verify.db'));
  const row = await compare(
    `audit verify, ${VERIFY_ENTRIES.toLocaleString('en-US')} entries (SQLite)`,
    {
      name: 'rampart verify() (chain, heads)',
      batch: VERIFY_ENTRIES,
      fn: async () => {
        const result = await verify(reader, { publicKey });
        if (!result.ok) throw new Error(`verify failed at ${result.position}: ${result.problem}`);
      },
    },
    { name: 'read + JSON.parse every row', batch: VERIFY_ENTRIES, fn: () => scanned.scan() },
  );
  await reader.close();
  scanned.close();
  return [row];
}

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-audit-bench-'));
  try {
    const rows = [...(await sqliteRows(dir)), ...(await verifyRows(dir))];
    const url = process.env.RAMPART_BENCH_PG_URL ?? process.env.RAMPART_TEST_PG_URL;
    if (url === undefined) process.stderr.write('audit: PostgreSQL rows skipped (set RAMPART_BENCH_PG_URL)\n');
    else rows.push(...(await postgresRows(url)));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
