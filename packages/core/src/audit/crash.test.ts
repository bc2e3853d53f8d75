import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomInt } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { securityEvent } from '../events.js';
import { checkpointSigner } from './checkpoint.js';
import { toHex } from './hash.js';
import { JsonlAuditStore } from './jsonl-store.js';
import { AuditLog } from './log.js';
import { PostgresAuditStore } from './pg-store.js';
import { SqliteAuditStore } from './sqlite-store.js';
import type { AuditStore } from './store.js';
import { verify } from './verify.js';

const root = mkdtempSync(join(tmpdir(), 'rampart-audit-crash-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const repo = resolve(import.meta.dirname, '../../../..');
const child = join(import.meta.dirname, 'crash-child.fixtures.ts');
const keys = generateKeyPairSync('ed25519');
const pem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

// Per store, two lanes (separate files) run side by side; each kills its child 10 times in a row. Startup under tsx
// dominates, and is CPU-bound: the stores run one after another rather than competing for the same cores.
const LANES = 2;
const KILLS_PER_LANE = 10;

const pgUrl = process.env.RAMPART_TEST_PG_URL;
const run = `${process.pid}_${Date.now()}`;

/** Runs the child until it has acknowledged something, waits a random moment, SIGKILLs it; returns what it acknowledged. */
function runAndKill(target: readonly string[]): Promise<Map<number, string>> {
  return new Promise((done, failed) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, ...target], { cwd: repo, env: { ...process.env, AUDIT_CRASH_KEY: pem }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let armed = false;
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (!armed && out.includes('\n')) {
        armed = true;
        setTimeout(() => proc.kill('SIGKILL'), randomInt(0, 50));
      }
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    proc.on('error', failed);
    proc.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') {
        failed(new Error(`child exited without being killed: ${err}`));
        return;
      }
      const acked = new Map<number, string>();
      // Only complete lines: a line cut by the kill was never fully acknowledged to us.
      for (const line of out.split('\n').slice(0, -1)) {
        const [seq, hash] = line.split(' ');
        acked.set(Number(seq), hash ?? '');
      }
      done(acked);
    });
  });
}

/** A store the test reads back with, and the child's arguments for the same log. */
interface Target {
  readonly args: readonly string[];
  readonly open: () => Promise<AuditStore>;
}

async function lane(target: Target): Promise<{ acked: Map<number, string>; kills: number }> {
  const acked = new Map<number, string>();
  let kills = 0;
  for (let k = 0; k < KILLS_PER_LANE; k++) {
    // Resolves only for a child that died of SIGKILL.
    for (const [seq, hash] of await runAndKill(target.args)) acked.set(seq, hash);
    kills += 1;
  }
  return { acked, kills };
}

/** After the kills: every acknowledged entry is there with its hash, the log verifies, and it reopens and continues. */
async function survived(target: Target, acked: Map<number, string>): Promise<void> {
  expect(acked.size).toBeGreaterThan(0);
  const store = await target.open();
  for (const [seq, hash] of acked) expect(toHex((await store.row(seq))?.chainHash ?? new Uint8Array())).toBe(hash);
  const result = await verify(store, { publicKey: keys.publicKey });
  expect(result).toMatchObject({ ok: true });
  const log = await AuditLog.open({ store, signer: checkpointSigner(keys.privateKey) });
  expect(log.size).toBe(result.ok ? result.entries : -1);
  expect(log.size).toBeGreaterThan(Math.max(...acked.keys()));
  const size = log.size;
  expect((await log.append(securityEvent('session.created', 'after-crash'))).seq).toBe(size);
  await log.close();
}

async function crashLanes(targets: readonly Target[]): Promise<void> {
  const lanes = await Promise.all(targets.map((target) => lane(target)));
  expect(lanes.reduce((sum, l) => sum + l.kills, 0)).toBeGreaterThanOrEqual(20);
  for (const [i, { acked }] of lanes.entries()) await survived(targets[i] as Target, acked);
}

describe('crash safety on SQLite', () => {
  it('keeps every acknowledged entry and a verifiable log across repeated SIGKILLs', async () => {
    const targets = Array.from({ length: LANES }, (_, i): Target => {
      const path = join(root, `crash${i}.db`);
      return { args: ['sqlite', path], open: () => Promise.resolve(new SqliteAuditStore(path)) };
    });
    await crashLanes(targets);
  });
});

describe('crash safety on JSONL files', () => {
  it('keeps every acknowledged entry and a verifiable log across repeated SIGKILLs and segment rotations', async () => {
    // One lane starts a segment at every batch, so kills land around rotations (file creation, directory fsync); the
    // other uses 16 KiB segments, a few per child.
    const lanes = [1, 16 * 1024].map((maxSegmentBytes, i) => ({ dir: join(root, `crash-jsonl${i}`), maxSegmentBytes }));
    await crashLanes(lanes.map(({ dir, maxSegmentBytes }): Target => ({ args: ['jsonl', dir, String(maxSegmentBytes)], open: () => JsonlAuditStore.open(dir, { onTornTail: () => undefined }) })));
    // Each of the 10 children acknowledged at least one batch before its kill: at least 10 segments.
    expect(readdirSync(lanes[0]?.dir as string).filter((name) => name.startsWith('entries-')).length).toBeGreaterThanOrEqual(KILLS_PER_LANE);
  });
});

describe.skipIf(pgUrl === undefined)('crash safety on PostgreSQL (needs RAMPART_TEST_PG_URL)', () => {
  const pool = new pg.Pool({ connectionString: pgUrl, max: 4 });
  const tables = Array.from({ length: LANES }, (_, i) => `audit_crash_${run}_${i}`);
  afterAll(async () => {
    for (const table of tables) {
      await pool.query(`DROP TABLE IF EXISTS "${table}_entries"`);
      await pool.query(`DROP TABLE IF EXISTS "${table}_checkpoints"`);
    }
    await pool.end();
  });

  it('keeps every acknowledged entry and a verifiable log across repeated SIGKILLs', async () => {
    await crashLanes(tables.map((table): Target => ({ args: ['pg', pgUrl as string, table], open: () => PostgresAuditStore.open(pool, { table }) })));
  });
});
