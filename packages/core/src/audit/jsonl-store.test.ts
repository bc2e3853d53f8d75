import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { securityEvent } from '../events.js';
import { checkpointSigner } from './checkpoint.js';
import { chainHash, GENESIS_CHAIN_HASH, leafHash, toHex } from './hash.js';
import { JsonlAuditStore, type JsonlTornTail } from './jsonl-store.js';
import { AuditLog } from './log.js';
import type { AuditRow } from './store.js';
import { verify } from './verify.js';

// JSONL specifics on real files in a temp dir: line format, rotation, torn-tail recovery, the writer lock, refusals.
// The shared store contract runs in store.test.ts, the SIGKILL test in crash.test.ts, tampering in jsonl-attack.test.ts.

const root = mkdtempSync(join(tmpdir(), 'rampart-audit-jsonl-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
let dirs = 0;
const freshDir = (): string => join(root, `log${++dirs}`);

const keys = generateKeyPairSync('ed25519');
const signer = checkpointSigner(keys.privateKey);
const trusted = { publicKey: keys.publicKey };

const segmentsOf = (dir: string): string[] => readdirSync(dir).filter((name) => /^entries-\d{16}\.jsonl$/.test(name)).sort();
const linesOf = (path: string): string[] => readFileSync(path, 'utf8').split('\n').slice(0, -1);
const entrySeq = (line: string): number => (JSON.parse(line) as { entry: { seq: number } }).entry.seq;

async function fill(dir: string, count: number, options: { maxSegmentBytes?: number } = {}): Promise<void> {
  const log = await AuditLog.open({ store: await JsonlAuditStore.open(dir, options), signer, clock: new ManualClock() });
  for (let i = 0; i < count; i++) await log.append(securityEvent('auth.login.failed', `user${i}`, { i }));
  await log.close();
}

describe('line format', () => {
  it('writes one JSON object per line, the hashed text verbatim as `entry`, and heads in checkpoints.jsonl', async () => {
    const dir = freshDir();
    const store = await JsonlAuditStore.open(dir);
    const log = await AuditLog.open({ store, signer, clock: new ManualClock() });
    await log.append(securityEvent('authz.denied', 'bob', { action: 'delete' }));
    await log.append(securityEvent('auth.login.succeeded', 'alice'));
    const head = await log.checkpoint();

    expect(segmentsOf(dir)).toEqual(['entries-0000000000000000.jsonl']);
    const lines = linesOf(join(dir, 'entries-0000000000000000.jsonl'));
    expect(lines).toHaveLength(2);
    for (const [seq, line] of lines.entries()) {
      const record = await log.entry(seq);
      // A shipper reads the line as JSON; the store reads the entry's bytes exactly as hashed.
      expect(JSON.parse(line)).toEqual({ entry: { seq, at: record?.at, event: record?.event }, leafHash: record?.leafHash, chainHash: record?.chainHash });
      expect(line).toBe(`{"entry":${record?.canonical},"leafHash":"${record?.leafHash}","chainHash":"${record?.chainHash}"}`);
    }
    expect(linesOf(join(dir, 'checkpoints.jsonl')).map((line) => JSON.parse(line) as unknown)).toEqual([head]);
    await log.close();
  });

  it('keeps an entry whose user name carries CR/LF, NEL, U+2028 and a forged JSON line on one line', async () => {
    const dir = freshDir();
    const log = await AuditLog.open({ store: await JsonlAuditStore.open(dir), signer, clock: new ManualClock() });
    const forged = '{"entry":{"at":"2026-01-01T00:00:00.000Z","event":{"type":"auth.login.succeeded","subject":"root"},"seq":1}}';
    await log.append(securityEvent('auth.login.failed', `bob\r\n${forged}\n`, { note: `x\u0085${forged}\u2028${forged}` }));
    await log.append(securityEvent('authz.denied', 'carol'));
    await log.close();
    const lines = readFileSync(join(dir, segmentsOf(dir)[0] as string), 'utf8').split(/\r\n|[\n\r\u0085\u2028\u2029]/);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines.slice(0, 2).map(entrySeq)).toEqual([0, 1]);
    expect(await verify(await JsonlAuditStore.open(dir), trusted)).toEqual({ ok: true, entries: 2, checkpoints: 1 });
  });
});

describe('rotation', () => {
  it('starts segments named by their first seq, never splits a batch, and verifies across the boundaries', async () => {
    const dir = freshDir();
    const store = await JsonlAuditStore.open(dir, { maxSegmentBytes: 1024 });
    const log = await AuditLog.open({ store, signer, clock: new ManualClock() });
    const batches: number[][] = [];
    for (let round = 0; round < 16; round++) {
      // One Promise.all is one batch: the appends share a tick and nothing else is being written.
      const acks = await Promise.all(Array.from({ length: 1 + (round % 5) }, (_, i) => log.append(securityEvent('session.created', `user${round}`, { i }))));
      batches.push(acks.map((ack) => ack.seq));
    }
    const size = log.size;
    await log.close();

    const segments = segmentsOf(dir);
    expect(segments.length).toBeGreaterThan(5);
    const fileOf = new Map<number, string>();
    let next = 0;
    for (const name of segments) {
      const seqs = linesOf(join(dir, name)).map(entrySeq);
      expect(name).toBe(`entries-${String(seqs[0]).padStart(16, '0')}.jsonl`);
      expect(seqs).toEqual(seqs.map((_, i) => next + i));
      next += seqs.length;
      for (const seq of seqs) fileOf.set(seq, name);
    }
    expect(next).toBe(size);
    for (const batch of batches) expect(new Set(batch.map((seq) => fileOf.get(seq))).size).toBe(1);

    const reader = await JsonlAuditStore.open(dir);
    expect(await verify(reader, { ...trusted, recomputeRoots: true })).toEqual({ ok: true, entries: size, checkpoints: 1 });
    // Reads that cross segment boundaries.
    const all: AuditRow[] = [];
    for await (const page of reader.pages()) all.push(...page);
    for (const row of all) expect((await reader.row(row.seq))?.canonical).toBe(row.canonical);
    expect((await reader.leafHashes(3, size - 2)).map(toHex)).toEqual(all.slice(3, size - 2).map((row) => toHex(row.leafHash)));
    expect(await reader.row(size)).toBeUndefined();
  });

  it('continues the last segment after reopening, and starts the next one at the right seq once it is full', async () => {
    const dir = freshDir();
    await fill(dir, 5);
    const before = segmentsOf(dir);
    expect(before).toEqual(['entries-0000000000000000.jsonl']);

    const roomy = await AuditLog.open({ store: await JsonlAuditStore.open(dir), signer });
    expect((await roomy.append(securityEvent('session.created', 'a'))).seq).toBe(5);
    await roomy.close();
    expect(segmentsOf(dir)).toEqual(before);
    expect(linesOf(join(dir, before[0] as string)).map(entrySeq)).toEqual([0, 1, 2, 3, 4, 5]);

    const full = await AuditLog.open({ store: await JsonlAuditStore.open(dir, { maxSegmentBytes: 1 }), signer });
    expect((await full.append(securityEvent('session.created', 'b'))).seq).toBe(6);
    expect((await full.append(securityEvent('session.created', 'c'))).seq).toBe(7);
    await full.close();
    expect(segmentsOf(dir)).toEqual([...before, 'entries-0000000000000006.jsonl', 'entries-0000000000000007.jsonl']);
    expect(await verify(await JsonlAuditStore.open(dir), trusted)).toEqual({ ok: true, entries: 8, checkpoints: 3 });
  });
});

describe('torn-tail recovery', () => {
  it('cuts a partial last line off the newest segment and the checkpoint file when it becomes the writer, says so, and continues', async () => {
    const dir = freshDir();
    await fill(dir, 5);
    const segment = join(dir, 'entries-0000000000000000.jsonl');
    const checkpoints = join(dir, 'checkpoints.jsonl');
    const sizes = [statSync(segment).size, statSync(checkpoints).size];
    // What a kill in the middle of a write leaves: the batch's bytes up to some point, no final newline.
    appendFileSync(segment, '{"entry":{"at":"2026-01-01T00:00:00.000Z","event":{"at":"2026-01-01T00:00:00.000Z","type":"se');
    appendFileSync(checkpoints, '{"treeSize":6,"rootHash":"ab');
    const torn = [statSync(segment).size - (sizes[0] as number), statSync(checkpoints).size - (sizes[1] as number)];

    // A reader (an auditor, the writer still possibly mid-write) skips the partial line and cuts nothing.
    expect(await verify(await JsonlAuditStore.open(dir), trusted)).toEqual({ ok: true, entries: 5, checkpoints: 1 });
    expect(statSync(segment).size).toBe((sizes[0] as number) + (torn[0] as number));

    const told: JsonlTornTail[] = [];
    const store = await JsonlAuditStore.open(dir, { onTornTail: (cut) => told.push(cut) });
    const log = await AuditLog.open({ store, signer });
    const expected = [
      { file: 'checkpoints.jsonl', offset: sizes[1], bytes: torn[1] },
      { file: 'entries-0000000000000000.jsonl', offset: sizes[0], bytes: torn[0] },
    ];
    expect(told).toEqual(expected);
    expect(store.tornTails).toEqual(expected);
    expect([statSync(segment).size, statSync(checkpoints).size]).toEqual(sizes);

    expect((await log.append(securityEvent('session.created', 'after-crash'))).seq).toBe(5);
    await log.close();
    expect(linesOf(segment).map(entrySeq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await verify(await JsonlAuditStore.open(dir), trusted)).toEqual({ ok: true, entries: 6, checkpoints: 2 });
  });

  it('cuts a segment down to nothing when the kill tore the first batch of a new segment', async () => {
    const dir = freshDir();
    await fill(dir, 3, { maxSegmentBytes: 1 });
    writeFileSync(join(dir, 'entries-0000000000000003.jsonl'), '{"entry":{"at":"2026-01-01T00:00');
    const told: JsonlTornTail[] = [];
    const log = await AuditLog.open({ store: await JsonlAuditStore.open(dir, { maxSegmentBytes: 1, onTornTail: (cut) => told.push(cut) }), signer });
    expect(told).toEqual([{ file: 'entries-0000000000000003.jsonl', offset: 0, bytes: 32 }]);
    expect((await log.append(securityEvent('session.created', 'x'))).seq).toBe(3);
    await log.close();
    expect(linesOf(join(dir, 'entries-0000000000000003.jsonl')).map(entrySeq)).toEqual([3]);
    expect(await verify(await JsonlAuditStore.open(dir), trusted)).toMatchObject({ ok: true, entries: 4 });
  });

  it('warns by default when it cuts a torn line', async () => {
    const dir = freshDir();
    await fill(dir, 2);
    appendFileSync(join(dir, 'entries-0000000000000000.jsonl'), '{"entry":');
    const warnings: Error[] = [];
    const listener = (warning: Error): void => void warnings.push(warning);
    process.on('warning', listener);
    try {
      const store = await JsonlAuditStore.open(dir);
      await store.lockWriter();
      await store.close();
      // Warnings are emitted on the next tick.
      await new Promise((done) => setImmediate(done));
    } finally {
      process.off('warning', listener);
    }
    expect(warnings.map((warning) => [warning.name, warning.message])).toEqual([['RampartAuditWarning', 'audit: cut 9 bytes of an unacknowledged write from entries-0000000000000000.jsonl at ' + String(statSync(join(dir, 'entries-0000000000000000.jsonl')).size)]]);
  });

  it('repairs nothing else: a torn line at the end of an older segment stays, and verify() names it', async () => {
    const dir = freshDir();
    await fill(dir, 6, { maxSegmentBytes: 1 });
    const older = join(dir, 'entries-0000000000000002.jsonl');
    const size = statSync(older).size;
    truncateSync(older, size - 40);
    const told: JsonlTornTail[] = [];
    const store = await JsonlAuditStore.open(dir, { onTornTail: (cut) => told.push(cut) });
    await store.lockWriter();
    expect(told).toEqual([]);
    expect(statSync(older).size).toBe(size - 40);
    expect(await verify(store, trusted)).toMatchObject({ ok: false, position: 2, problem: 'modified' });
    await store.close();
  });
});

/** A pid that certainly belongs to no process: a child that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((done) => child.on('exit', done));
  return child.pid as number;
}

const lockFile = (dir: string): string => join(dir, 'writer.lock');
const holder = (pid: number, host = hostname(), boot = ''): string => `${JSON.stringify({ pid, host, boot })}\n`;

describe('writer lock', () => {
  it('lets one writer at a time append: a second waits, then fails; the lock holds the pid and goes on close', async () => {
    const dir = freshDir();
    const first = await AuditLog.open({ store: await JsonlAuditStore.open(dir), signer });
    await first.append(securityEvent('auth.login.failed', 'a'));
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });

    const second = await JsonlAuditStore.open(dir, { lockTimeoutMs: 50 });
    await expect(AuditLog.open({ store: second, signer })).rejects.toMatchObject({ code: 'AUDIT_FAILED' });
    await expect(second.append([])).rejects.toMatchObject({ code: 'AUDIT_FAILED' });
    // A reader needs no lock.
    expect(await verify(second, trusted)).toMatchObject({ ok: true, entries: 1 });

    const waiting = AuditLog.open({ store: await JsonlAuditStore.open(dir), signer });
    await first.close();
    const third = await waiting;
    expect((await third.append(securityEvent('auth.login.failed', 'b'))).seq).toBe(1);
    await third.close();
    expect(existsSync(lockFile(dir))).toBe(false);
    expect(readdirSync(dir).filter((name) => name.includes('lock'))).toEqual([]);
  });

  it('sees its own lock as held through a symlink to the same directory', async () => {
    const dir = freshDir();
    const first = await AuditLog.open({ store: await JsonlAuditStore.open(dir), signer });
    const alias = `${dir}-alias`;
    symlinkSync(dir, alias);
    await expect(AuditLog.open({ store: await JsonlAuditStore.open(alias, { lockTimeoutMs: 0 }), signer })).rejects.toMatchObject({ code: 'AUDIT_FAILED' });
    await first.close();
  });

  it('takes over the lock of a writer that was killed', async () => {
    const dir = freshDir();
    await fill(dir, 2);
    writeFileSync(lockFile(dir), holder(await deadPid()));
    const log = await AuditLog.open({ store: await JsonlAuditStore.open(dir, { lockTimeoutMs: 0 }), signer });
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toMatchObject({ pid: process.pid });
    expect((await log.append(securityEvent('session.created', 'x'))).seq).toBe(2);
    await log.close();
  });

  it('lets exactly one of several writers racing for the lock of a killed writer take it', async () => {
    const dir = freshDir();
    await fill(dir, 1);
    writeFileSync(lockFile(dir), holder(await deadPid()));
    const stores = await Promise.all(Array.from({ length: 4 }, () => JsonlAuditStore.open(dir, { lockTimeoutMs: 0 })));
    const outcomes = await Promise.allSettled(stores.map((store) => store.lockWriter()));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    for (const store of stores) await store.close();
  });

  it('removes a stale lock only while holding the break mutex, so it never removes a lock another breaker just replaced', async () => {
    const dir = freshDir();
    await fill(dir, 1);
    const stale = holder(await deadPid());
    writeFileSync(lockFile(dir), stale);
    // Another process (alive) is in the middle of breaking it.
    writeFileSync(`${lockFile(dir)}.break`, holder(process.ppid));
    const store = await JsonlAuditStore.open(dir, { lockTimeoutMs: 100 });
    await expect(store.lockWriter()).rejects.toMatchObject({ code: 'AUDIT_FAILED' });
    expect(readFileSync(lockFile(dir), 'utf8')).toBe(stale);
    // Once that breaker is done, the stale lock is taken over.
    rmSync(`${lockFile(dir)}.break`);
    await store.lockWriter();
    await store.close();
  });

  it('takes over a lock naming its own pid that it does not hold (a restarted container runs as the same pid)', async () => {
    const dir = freshDir();
    await fill(dir, 1);
    writeFileSync(lockFile(dir), holder(process.pid));
    const log = await AuditLog.open({ store: await JsonlAuditStore.open(dir, { lockTimeoutMs: 0 }), signer });
    expect(log.size).toBe(1);
    await log.close();
  });

  it.skipIf(!existsSync('/proc/sys/kernel/random/boot_id'))('takes over a lock written before a reboot, even if its pid is alive now', async () => {
    const dir = freshDir();
    await fill(dir, 1);
    writeFileSync(lockFile(dir), holder(process.ppid, hostname(), 'a-boot-before-the-power-cut'));
    const log = await AuditLog.open({ store: await JsonlAuditStore.open(dir, { lockTimeoutMs: 0 }), signer });
    await log.close();
  });

  it('clears the break mutex of a process killed while breaking a stale lock', async () => {
    const dir = freshDir();
    await fill(dir, 1);
    const dead = await deadPid();
    writeFileSync(lockFile(dir), holder(dead));
    writeFileSync(`${lockFile(dir)}.break`, holder(dead));
    const log = await AuditLog.open({ store: await JsonlAuditStore.open(dir, { lockTimeoutMs: 1000 }), signer });
    await log.close();
    expect(readdirSync(dir).filter((name) => name.includes('lock'))).toEqual([]);
  });

  it.each([
    ['a live process', () => holder(process.ppid)],
    ['a process on another host', async () => holder(await deadPid(), `not-${hostname()}`)],
    ['a lock it cannot read', () => 'garbage'],
  ])('refuses a lock held by %s, and leaves it in place', async (_, content) => {
    const dir = freshDir();
    await fill(dir, 1);
    const text = await content();
    writeFileSync(lockFile(dir), text);
    const store = await JsonlAuditStore.open(dir, { lockTimeoutMs: 0 });
    await expect(AuditLog.open({ store, signer })).rejects.toMatchObject({ code: 'AUDIT_FAILED' });
    expect(readFileSync(lockFile(dir), 'utf8')).toBe(text);
    await store.close();
  });
});

describe('refusals', () => {
  function row(seq: number, canonical: string, at = '2026-01-01T00:00:00.000Z'): AuditRow {
    const leaf = leafHash(canonical);
    return { seq, at, canonical, leafHash: leaf, chainHash: chainHash(GENESIS_CHAIN_HASH, leaf) };
  }
  const good = (seq: number): string => `{"at":"2026-01-01T00:00:00.000Z","event":{"at":"2026-01-01T00:00:00.000Z","type":"test"},"seq":${seq}}`;

  it.each([
    ['a line break in the text', [row(0, good(0)), row(1, good(1).replace('"test"', '"te\nst"'))], 'AUDIT_MALFORMED_ENTRY'],
    ['a lone surrogate in the text', [row(0, good(0).replace('"test"', '"te\ud800st"'))], 'AUDIT_MALFORMED_ENTRY'],
    ['an `at` that is not the text’s own', [row(0, good(0), '2020-01-01T00:00:00.000Z')], 'AUDIT_MALFORMED_ENTRY'],
    ['a short hash', [{ ...row(0, good(0)), chainHash: new Uint8Array(31) }], 'AUDIT_MALFORMED_ENTRY'],
    ['a gap in the sequence', [row(0, good(0)), row(2, good(2))], 'AUDIT_OUT_OF_RANGE'],
  ])('refuses a batch with %s, keeping none of it', async (_, rows, code) => {
    const store = await JsonlAuditStore.open(freshDir());
    await expect(store.append(rows)).rejects.toMatchObject({ code });
    expect(await store.tail()).toEqual({ count: 0, nextSeq: 0, last: undefined });
    await store.append([row(0, good(0))]);
    expect((await store.tail()).count).toBe(1);
    await store.close();
  });

  it('keeps every entry: the files are append-only, so retention pruning is refused', async () => {
    const dir = freshDir();
    await fill(dir, 2);
    const log = await AuditLog.open({ store: await JsonlAuditStore.open(dir), signer, clock: new ManualClock(Date.UTC(2030, 0, 1)) });
    await expect(log.prune({ days: { authentication: 1 } })).rejects.toMatchObject({ code: 'AUDIT_UNSUPPORTED' });
    await log.close();
    expect(await verify(await JsonlAuditStore.open(dir), trusted)).toMatchObject({ ok: true, entries: 2 });
  });

  it('refuses unsafe options and use after close', async () => {
    for (const options of [{ maxSegmentBytes: 0 }, { maxSegmentBytes: 1.5 }, { lockTimeoutMs: -1 }]) {
      await expect(JsonlAuditStore.open(freshDir(), options)).rejects.toMatchObject({ code: 'CONFIGURATION_INVALID' });
    }
    const store = await JsonlAuditStore.open(freshDir());
    await store.close();
    await store.close();
    await expect(store.append([row(0, good(0))])).rejects.toMatchObject({ code: 'AUDIT_CLOSED' });
    await expect(store.lockWriter()).rejects.toMatchObject({ code: 'AUDIT_CLOSED' });
    await expect(store.tail()).rejects.toMatchObject({ code: 'AUDIT_CLOSED' });
  });
});
