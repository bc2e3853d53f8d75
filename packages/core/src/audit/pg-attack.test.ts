import { generateKeyPairSync } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { securityEvent } from '../events.js';
import { checkpointSigner } from './checkpoint.js';
import { chainHash, leafHash } from './hash.js';
import { AuditLog } from './log.js';
import { PostgresAuditStore } from './pg-store.js';
import { verify } from './verify.js';

// The attacker has a PostgreSQL connection with write access to the audit tables and edits them with plain SQL.

const url = process.env.RAMPART_TEST_PG_URL;
const run = `${process.pid}_${Date.now()}`;
const keys = generateKeyPairSync('ed25519');
const signer = checkpointSigner(keys.privateKey);
const SIZE = 12;

describe.skipIf(url === undefined)('tampering with a PostgreSQL audit log (needs RAMPART_TEST_PG_URL)', () => {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const tables: string[] = [];
  afterAll(async () => {
    for (const table of tables) {
      await pool.query(`DROP TABLE IF EXISTS "${table}_entries"`);
      await pool.query(`DROP TABLE IF EXISTS "${table}_checkpoints"`);
    }
    await pool.end();
  });

  /** A closed log of 12 entries with checkpoints at 6 and 12; returns its table and a verify over it. */
  async function victim(): Promise<{ entries: string; checkpoints: string; check: () => ReturnType<typeof verify> }> {
    const table = `audit_attack_${run}_${tables.length}`;
    tables.push(table);
    const clock = new ManualClock();
    const log = await AuditLog.open({ store: await PostgresAuditStore.open(pool, { table }), signer, clock });
    for (let i = 0; i < SIZE; i++) {
      clock.advance(1000);
      await log.append(securityEvent('authz.denied', `user${i}`, { action: 'delete' }));
      if (i === 5) await log.checkpoint();
    }
    await log.close();
    const check = async () => verify(await PostgresAuditStore.open(pool, { table }), { publicKey: keys.publicKey });
    expect(await check()).toEqual({ ok: true, entries: SIZE, checkpoints: 2 });
    return { entries: `"${table}_entries"`, checkpoints: `"${table}_checkpoints"`, check };
  }

  it('detects a modified field, with its leaf hash recomputed', async () => {
    const { entries, check } = await victim();
    const { rows } = await pool.query<{ canonical: string }>(`SELECT canonical FROM ${entries} WHERE seq = 4`);
    const forged = rows[0]!.canonical.replace('"user4"', '"admin"');
    await pool.query(`UPDATE ${entries} SET canonical = $1, leaf_hash = $2 WHERE seq = 4`, [forged, Buffer.from(leafHash(forged))]);
    expect(await check()).toMatchObject({ ok: false, position: 4, problem: 'modified' });
  });

  it('detects a deleted entry, and one hidden by renumbering', async () => {
    const first = await victim();
    await pool.query(`DELETE FROM ${first.entries} WHERE seq = 5`);
    expect(await first.check()).toMatchObject({ ok: false, position: 5, problem: 'deleted' });
    const second = await victim();
    await pool.query(`DELETE FROM ${second.entries} WHERE seq = 5`);
    await pool.query(`UPDATE ${second.entries} SET seq = seq + 1000 WHERE seq > 5`);
    await pool.query(`UPDATE ${second.entries} SET seq = seq - 1001 WHERE seq > 1000`);
    expect(await second.check()).toMatchObject({ ok: false, position: 5, problem: 'deleted' });
  });

  it('detects an inserted entry', async () => {
    const { entries, check } = await victim();
    await pool.query(`UPDATE ${entries} SET seq = seq + 1000 WHERE seq >= 5`);
    await pool.query(`UPDATE ${entries} SET seq = seq - 999 WHERE seq >= 1000`);
    const { rows } = await pool.query<{ at: string; canonical: string; chain_hash: Buffer }>(`SELECT at, canonical, chain_hash FROM ${entries} WHERE seq IN (4, 6) ORDER BY seq`);
    // A forged entry with hashes of its own, correctly chained to entry 4.
    const forged = rows[1]!.canonical.replace('"authz.denied"', '"authz.allowed"');
    const leaf = leafHash(forged);
    await pool.query(`INSERT INTO ${entries} (seq, at, canonical, leaf_hash, chain_hash) VALUES (5, $1, $2, $3, $4)`, [rows[1]!.at, forged, Buffer.from(leaf), Buffer.from(chainHash(rows[0]!.chain_hash, leaf))]);
    expect(await check()).toMatchObject({ ok: false, position: 5, problem: 'inserted' });
  });

  it('detects two swapped entries', async () => {
    const { entries, check } = await victim();
    await pool.query(`UPDATE ${entries} SET seq = -1 WHERE seq = 3`);
    await pool.query(`UPDATE ${entries} SET seq = 3 WHERE seq = 7`);
    await pool.query(`UPDATE ${entries} SET seq = 7 WHERE seq = -1`);
    expect(await check()).toMatchObject({ ok: false, position: 3, problem: 'reordered' });
  });

  it('detects a truncated tail under a checkpoint', async () => {
    const { entries, check } = await victim();
    await pool.query(`DELETE FROM ${entries} WHERE seq >= 9`);
    expect(await check()).toMatchObject({ ok: false, position: 9, problem: 'truncated' });
  });

  it('detects a checkpoint row edited in place', async () => {
    const { checkpoints, check } = await victim();
    await pool.query(`UPDATE ${checkpoints} SET tree_size = 5 WHERE tree_size = 6`);
    expect(await check()).toMatchObject({ ok: false, position: 5, problem: 'bad_checkpoint' });
  });
});
