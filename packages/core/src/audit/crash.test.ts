import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkpointSigner } from './checkpoint.js';
import { toHex } from './hash.js';
import { AuditLog } from './log.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { verify } from './verify.js';

const root = mkdtempSync(join(tmpdir(), 'rampart-audit-crash-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const repo = resolve(import.meta.dirname, '../../../..');
const child = join(import.meta.dirname, 'crash-child.fixtures.ts');
const keys = generateKeyPairSync('ed25519');
const pem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

// Two lanes (separate files) run side by side; each kills its child 10 times in a row. Startup under tsx dominates.
const LANES = 2;
const KILLS_PER_LANE = 10;

/** Runs the child until it has acknowledged something, waits a random moment, SIGKILLs it; returns what it acknowledged. */
function runAndKill(path: string): Promise<Map<number, string>> {
  return new Promise((done, failed) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, path], { cwd: repo, env: { ...process.env, AUDIT_CRASH_KEY: pem }, stdio: ['ignore', 'pipe', 'pipe'] });
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

async function lane(index: number): Promise<{ path: string; acked: Map<number, string>; kills: number }> {
  const path = join(root, `crash${index}.db`);
  const acked = new Map<number, string>();
  let kills = 0;
  for (let k = 0; k < KILLS_PER_LANE; k++) {
    // Resolves only for a child that died of SIGKILL.
    for (const [seq, hash] of await runAndKill(path)) acked.set(seq, hash);
    kills += 1;
  }
  return { path, acked, kills };
}

describe('crash safety', () => {
  it('keeps every acknowledged entry and a verifiable log across repeated SIGKILLs', async () => {
    const lanes = await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i)));
    expect(lanes.reduce((sum, l) => sum + l.kills, 0)).toBeGreaterThanOrEqual(20);
    for (const { path, acked } of lanes) {
      expect(acked.size).toBeGreaterThan(0);
      const store = new SqliteAuditStore(path);
      for (const [seq, hash] of acked) expect(toHex(store.row(seq)?.chainHash ?? new Uint8Array())).toBe(hash);
      const result = verify(store, { publicKey: keys.publicKey });
      expect(result).toMatchObject({ ok: true });
      // The log reopens on the recovered file and continues the chain.
      const log = AuditLog.open({ store, signer: checkpointSigner(keys.privateKey) });
      expect(log.size).toBe(result.ok ? result.entries : -1);
      expect(log.size).toBeGreaterThan(Math.max(...acked.keys()));
      await log.close();
    }
  });
});
