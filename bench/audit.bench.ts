// The tamper-evident audit log against the same rows written and read without the chain: what redaction, RFC 8785
// canonicalisation, the hash chain and the Merkle compact range cost on top of SQLite (WAL, synchronous = FULL on
// both sides, 1,000 appends per transaction on both sides).
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditLog, SqliteAuditStore, checkpointSigner, verify } from '../packages/core/src/audit/index.js';
import type { SecurityEvent } from '../packages/core/src/events.js';
import { compare, type BenchRow } from './harness.js';

/** Appends per timed call: one group-committed transaction on both sides. */
const BATCH = 1000;
/** Entries in the log that `verify()` walks. */
const VERIFY_ENTRIES = 10_000;

function event(i: number): SecurityEvent {
  return {
    type: i % 3 === 0 ? 'auth.login.failed' : 'authz.denied',
    at: new Date(1_767_225_600_000 + i * 1000),
    subject: `user-${i % 977}`,
    attributes: { clientIp: `203.0.113.${i % 250}`, kind: 'document', resourceId: `doc-${i}`, reason: 'no_rule_matched' },
  };
}

/** The peer: the same events as JSON rows in one table, no redaction, no canonical form, no hashes. */
function plainTable(path: string): { append: (events: readonly SecurityEvent[]) => void; scan: () => number; close: () => void } {
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

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-audit-bench-'));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  try {
    const log = AuditLog.open({ store: new SqliteAuditStore(join(dir, 'audit.db')), signer: checkpointSigner(privateKey), maxBatch: BATCH });
    const plain = plainTable(join(dir, 'plain.db'));
    const batch = Array.from({ length: BATCH }, (_, i) => event(i));
    let next = 0;
    const rows: BenchRow[] = [];
    rows.push(
      await compare(
        `audit append, ${BATCH} per transaction (SQLite)`,
        { name: 'rampart AuditLog.append (chained)', batch: BATCH, fn: () => Promise.all(batch.map((_, i) => log.append(event(next + i)))).then(() => (next += BATCH)) },
        {
          name: 'better-sqlite3 insert, no chain',
          batch: BATCH,
          fn: () => {
            plain.append(batch);
          },
        },
      ),
    );
    await log.close();

    // verify() over a log of VERIFY_ENTRIES (with a checkpoint every 2,000) vs reading and parsing the same rows.
    const big = AuditLog.open({ store: new SqliteAuditStore(join(dir, 'verify.db')), signer: checkpointSigner(privateKey), maxBatch: BATCH });
    const scanned = plainTable(join(dir, 'scan.db'));
    for (let i = 0; i < VERIFY_ENTRIES; i += BATCH) {
      const chunk = Array.from({ length: BATCH }, (_, j) => event(i + j));
      await Promise.all(chunk.map((e) => big.append(e)));
      scanned.append(chunk);
      if ((i + BATCH) % 2_000 === 0) await big.checkpoint();
    }
    rows.push(
      await compare(
        `audit verify, ${VERIFY_ENTRIES.toLocaleString('en-US')} entries`,
        {
          name: 'rampart verify() (chain, Merkle, heads)',
          batch: VERIFY_ENTRIES,
          fn: () => {
            const result = verify(big, { publicKey });
            if (!result.ok) throw new Error(`verify failed at ${result.position}: ${result.problem}`);
          },
        },
        { name: 'read + JSON.parse every row', batch: VERIFY_ENTRIES, fn: () => scanned.scan() },
      ),
    );
    await big.close();
    plain.close();
    scanned.close();
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
