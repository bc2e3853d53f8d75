import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { walGroupCommit } from './wal-group-commit.js';

const directory = mkdtempSync(join(tmpdir(), 'rampart-wal-'));
afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe('walGroupCommit', () => {
  it('refuses a database that is not in WAL mode: its commits would not go through the WAL it syncs', () => {
    const db = new Database(join(directory, 'rollback-journal.db'));
    try {
      expect(() => walGroupCommit(db)).toThrow(ConfigurationError);
    } finally {
      db.close();
    }
  });

  it('moves the connection to synchronous = NORMAL and keeps what was synced across a reopen', async () => {
    const path = join(directory, 'reopen.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    const durability = walGroupCommit(db);
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('kept')");
    await durability.sync();
    await durability.close();
    db.close();
    const reopened = new Database(path, { readonly: true });
    expect(reopened.prepare('SELECT v FROM t').pluck().all()).toEqual(['kept']);
    reopened.close();
  });

  it('needs no sync for an in-memory database', async () => {
    const db = new Database(':memory:');
    await expect(walGroupCommit(db).sync()).resolves.toBeUndefined();
    db.close();
  });
});

// strace shows the fsyncs the kernel actually receives, and from which thread: the claim is about the event loop.
const strace = process.env.RAMPART_TEST_STRACE;
describe.runIf(strace !== undefined)('walGroupCommit under strace (RAMPART_TEST_STRACE)', () => {
  it('commits without an fsync, syncs the WAL off the main thread, and fifty concurrent callers share at most two fsyncs', () => {
    const lane = mkdtempSync(join(directory, 'strace-'));
    const trace = join(lane, 'trace');
    const child = join(import.meta.dirname, 'wal-group-commit.fixtures.ts');
    // rampart-ignore-next-line command-injection: the test runs the strace binary CI names in RAMPART_TEST_STRACE, without a shell
    const run = spawnSync(strace as string, ['-f', '-y', '-e', 'trace=fdatasync,fsync,write', '-o', trace, process.execPath, '--import', 'tsx', child, join(lane, 'x.db')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe('COMMITS\nSYNC-ONE\nSYNC-MANY\nDONE\n');
    const lines = readFileSync(trace, 'utf8').split('\n');
    const markerLine = (name: string): number => lines.findIndex((line) => line.includes(`write(1`) && line.includes(`"${name}\\n"`));
    const mainThread = (lines[markerLine('COMMITS')] as string).split(/\s+/)[0];
    const syncs = (from: string, to: string): string[] =>
      lines.slice(markerLine(from) + 1, markerLine(to)).filter((line) => /\b(fdatasync|fsync)\(/.test(line) && line.includes('x.db'));
    expect(syncs('COMMITS', 'SYNC-ONE')).toEqual([]);
    const one = syncs('SYNC-ONE', 'SYNC-MANY');
    expect(one.length).toBeGreaterThanOrEqual(1);
    expect(one.every((line) => line.includes('x.db-wal>') && !line.startsWith(`${mainThread} `))).toBe(true);
    const many = syncs('SYNC-MANY', 'DONE');
    expect(many.length).toBeGreaterThanOrEqual(1);
    expect(many.length).toBeLessThanOrEqual(2);
    expect(many.every((line) => line.includes('x.db-wal>') && !line.startsWith(`${mainThread} `))).toBe(true);
  });
});
