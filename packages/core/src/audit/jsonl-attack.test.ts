import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { securityEvent } from '../events.js';
import { checkpointSigner, signTreeHead, type SignedTreeHead } from './checkpoint.js';
import { chainHash, fromHex, leafHash, toHex } from './hash.js';
import { JsonlAuditStore } from './jsonl-store.js';
import { AuditLog } from './log.js';
import { merkleRoot } from './merkle.js';
import { verify } from './verify.js';

// Every test here is an attacker with write access to the log's directory, editing the files with plain fs calls after
// the log closed. Expected results as for SQLite (attack.test.ts).

const root = mkdtempSync(join(tmpdir(), 'rampart-audit-jsonl-attack-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
let dirs = 0;

const keys = generateKeyPairSync('ed25519');
const attackerKeys = generateKeyPairSync('ed25519');
const signer = checkpointSigner(keys.privateKey);
const trusted = { publicKey: keys.publicKey };
const SIZE = 12;

/** The files as an attacker sees them: segments in name order, each a list of lines (without their newline). */
interface Segment {
  name: string;
  lines: string[];
}

function load(dir: string): Segment[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith('entries-'))
    .sort()
    .map((name) => ({ name, lines: readFileSync(join(dir, name), 'utf8').split('\n').slice(0, -1) }));
}

function save(dir: string, segment: Segment): void {
  writeFileSync(join(dir, segment.name), segment.lines.map((line) => `${line}\n`).join(''));
}

/** Where line `seq` sits. */
function locate(segments: Segment[], seq: number): { segment: Segment; index: number } {
  let first = 0;
  for (const segment of segments) {
    if (seq < first + segment.lines.length) return { segment, index: seq - first };
    first += segment.lines.length;
  }
  throw new Error(`no line ${seq}`);
}

const LINE = /^\{"entry":(.*),"leafHash":"([0-9a-f]{64})","chainHash":"([0-9a-f]{64})"\}$/;
function parts(line: string): { canonical: string; leaf: string; chain: string } {
  const [, canonical, leaf, chain] = LINE.exec(line) as RegExpExecArray;
  return { canonical: canonical as string, leaf: leaf as string, chain: chain as string };
}
const lineOf = (canonical: string, leaf: Uint8Array, chain: Uint8Array): string => `{"entry":${canonical},"leafHash":"${toHex(leaf)}","chainHash":"${toHex(chain)}"}`;

/**
 * A closed log of 12 entries in segments of about four lines, checkpoints at sizes 6 and 12; returns its directory,
 * the segments, the heads and a verify over a fresh store.
 */
async function victim(): Promise<{ dir: string; segments: Segment[]; heads: SignedTreeHead[]; check: (extra?: readonly SignedTreeHead[]) => ReturnType<typeof verify> }> {
  const dir = join(root, `victim${++dirs}`);
  const clock = new ManualClock();
  const log = await AuditLog.open({ store: await JsonlAuditStore.open(dir, { maxSegmentBytes: 1000 }), signer, clock });
  const heads: SignedTreeHead[] = [];
  for (let i = 0; i < SIZE; i++) {
    clock.advance(1000);
    await log.append(securityEvent('authz.denied', `user${i}`, { action: 'delete', resource: `doc${i}` }));
    if (i === 5) heads.push(await log.checkpoint());
  }
  const last = await log.close();
  if (last !== undefined) heads.push(last);
  const check = async (extra?: readonly SignedTreeHead[]) => {
    const store = await JsonlAuditStore.open(dir);
    try {
      return await verify(store, extra === undefined ? trusted : { ...trusted, checkpoints: extra });
    } finally {
      await store.close();
    }
  };
  expect(await check()).toEqual({ ok: true, entries: SIZE, checkpoints: 2 });
  const segments = load(dir);
  expect(segments.length).toBeGreaterThanOrEqual(3);
  return { dir, segments, heads, check };
}

/** Rewrites lines from `from` on with hashes recomputed from their (possibly edited) text, as a careful attacker would. */
function rehash(dir: string, segments: Segment[], from: number): void {
  let previous = fromHex(parts(locate(segments, from - 1).segment.lines[locate(segments, from - 1).index] as string).chain) as Uint8Array;
  for (let seq = from; seq < SIZE; seq++) {
    const { segment, index } = locate(segments, seq);
    const { canonical } = parts(segment.lines[index] as string);
    const leaf = leafHash(canonical);
    previous = chainHash(previous, leaf);
    segment.lines[index] = lineOf(canonical, leaf, previous);
  }
  for (const segment of segments) save(dir, segment);
}

function edit(dir: string, segments: Segment[], seq: number, change: (line: string) => string): void {
  const { segment, index } = locate(segments, seq);
  segment.lines[index] = change(segment.lines[index] as string);
  save(dir, segment);
}

const promote = (text: string): string => text.replace('"user4"', '"admin"');

describe('tampering with JSONL entries', () => {
  it('detects one field of one line edited', async () => {
    const { dir, segments, check } = await victim();
    edit(dir, segments, 4, promote);
    expect(await check()).toMatchObject({ ok: false, position: 4, problem: 'modified' });
  });

  it('detects the edit when the leaf hash is recomputed too: the chain breaks', async () => {
    const { dir, segments, check } = await victim();
    edit(dir, segments, 4, (line) => {
      const { canonical, chain } = parts(line);
      const forged = promote(canonical);
      return lineOf(forged, leafHash(forged), fromHex(chain) as Uint8Array);
    });
    expect(await check()).toMatchObject({ ok: false, position: 4, problem: 'modified' });
  });

  it('detects the edit when leaf and chain hash of that line are recomputed: the next link breaks', async () => {
    const { dir, segments, check } = await victim();
    const previous = fromHex(parts(locate(segments, 3).segment.lines[locate(segments, 3).index] as string).chain) as Uint8Array;
    edit(dir, segments, 4, (line) => {
      const forged = promote(parts(line).canonical);
      const leaf = leafHash(forged);
      return lineOf(forged, leaf, chainHash(previous, leaf));
    });
    expect(await check()).toMatchObject({ ok: false, position: 5, problem: 'modified' });
  });

  it('detects an edit with every later hash recomputed, across segments: the signed head no longer matches', async () => {
    const { dir, segments, check } = await victim();
    edit(dir, segments, 8, (line) => line.replace('"user8"', '"admin"'));
    rehash(dir, segments, 8);
    expect(await check()).toMatchObject({ ok: false, position: 6, problem: 'modified' });
  });

  it('detects a byte that is not UTF-8 in a line', async () => {
    const { dir, segments, check } = await victim();
    const { segment } = locate(segments, 3);
    const path = join(dir, segment.name);
    const bytes = readFileSync(path);
    bytes[bytes.indexOf('"user3"') + 1] = 0xff;
    writeFileSync(path, bytes);
    expect(await check()).toMatchObject({ ok: false, position: 3, problem: 'modified' });
  });

  it('detects a line replaced by one that is not an entry line', async () => {
    const { dir, segments, check } = await victim();
    edit(dir, segments, 5, () => '{"note":"nothing happened here"}');
    expect(await check()).toMatchObject({ ok: false, position: 5, problem: 'modified' });
  });

  it('detects two lines joined into one (a newline removed)', async () => {
    const { dir, segments, check } = await victim();
    const { segment, index } = locate(segments, 4);
    if (index + 1 >= segment.lines.length) throw new Error('victim layout: 4 must not end a segment');
    segment.lines.splice(index, 2, `${segment.lines[index]}${segment.lines[index + 1]}`);
    save(dir, segment);
    expect(await check()).toMatchObject({ ok: false, position: 4, problem: 'modified' });
  });

  it('detects line endings rewritten to CRLF by an editor', async () => {
    const { dir, segments, check } = await victim();
    for (const segment of segments) writeFileSync(join(dir, segment.name), segment.lines.map((line) => `${line}\r\n`).join(''));
    expect(await check()).toMatchObject({ ok: false, position: 0, problem: 'modified' });
  });

  it('detects a deleted line', async () => {
    const { dir, segments, check } = await victim();
    const { segment, index } = locate(segments, 5);
    segment.lines.splice(index, 1);
    save(dir, segment);
    expect(await check()).toMatchObject({ ok: false, position: 5, problem: 'deleted' });
  });

  it('detects a forged line inserted in the middle, with correct hashes of its own', async () => {
    const { dir, segments, check } = await victim();
    const before = parts(locate(segments, 4).segment.lines[locate(segments, 4).index] as string);
    const genuine = parts(locate(segments, 5).segment.lines[locate(segments, 5).index] as string);
    const forged = genuine.canonical.replace('"authz.denied"', '"authz.allowed"').replace('"user5"', '"mallory"');
    const leaf = leafHash(forged);
    const { segment, index } = locate(segments, 5);
    segment.lines.splice(index, 0, lineOf(forged, leaf, chainHash(fromHex(before.chain) as Uint8Array, leaf)));
    save(dir, segment);
    expect(await check()).toMatchObject({ ok: false, position: 5, problem: 'inserted' });
  });

  it('detects a forged line appended to the end of a segment that is not the last, at the position it takes', async () => {
    const { dir, segments, check } = await victim();
    const segment = segments[0] as Segment;
    const lastSeq = segment.lines.length - 1;
    const before = parts(segment.lines[lastSeq] as string);
    // It claims the seq its position gives it, which the next segment's first line also has.
    const genuine = parts(locate(segments, lastSeq + 1).segment.lines[0] as string);
    const forged = genuine.canonical.replace('"authz.denied"', '"authz.allowed"');
    const leaf = leafHash(forged);
    segment.lines.push(lineOf(forged, leaf, chainHash(fromHex(before.chain) as Uint8Array, leaf)));
    save(dir, segment);
    expect(await check()).toMatchObject({ ok: false, position: lastSeq + 1, problem: 'inserted' });
  });

  it('detects two lines swapped (here across segments)', async () => {
    const { dir, segments, check } = await victim();
    const a = locate(segments, 3);
    const b = locate(segments, 7);
    expect(a.segment).not.toBe(b.segment);
    [a.segment.lines[a.index], b.segment.lines[b.index]] = [b.segment.lines[b.index] as string, a.segment.lines[a.index] as string];
    save(dir, a.segment);
    save(dir, b.segment);
    expect(await check()).toMatchObject({ ok: false, position: 3, problem: 'reordered' });
  });

  it('detects segments swapped by renaming them', async () => {
    const { dir, segments, check } = await victim();
    const [, second, third] = segments as [Segment, Segment, Segment];
    renameSync(join(dir, second.name), join(dir, 'swap'));
    renameSync(join(dir, third.name), join(dir, second.name));
    renameSync(join(dir, 'swap'), join(dir, third.name));
    const first = Number(second.name.slice(8, 24));
    expect(await check()).toMatchObject({ ok: false, position: first, problem: 'reordered' });
  });

  it('detects a truncated tail under a checkpoint', async () => {
    const { dir, segments, check } = await victim();
    const { segment, index } = locate(segments, 9);
    segment.lines.splice(index);
    save(dir, segment);
    for (const later of segments.slice(segments.indexOf(segment) + 1)) rmSync(join(dir, later.name));
    expect(await check()).toMatchObject({ ok: false, position: 9, problem: 'truncated' });
  });

  it('detects a truncated tail whose checkpoints were deleted too, given a head kept elsewhere', async () => {
    const { dir, segments, heads, check } = await victim();
    const { segment, index } = locate(segments, 9);
    segment.lines.splice(index);
    save(dir, segment);
    for (const later of segments.slice(segments.indexOf(segment) + 1)) rmSync(join(dir, later.name));
    rmSync(join(dir, 'checkpoints.jsonl'));
    expect(await check([heads.at(-1) as SignedTreeHead])).toMatchObject({ ok: false, position: 9, problem: 'truncated' });
  });

  it('detects a whole middle segment deleted', async () => {
    const { dir, segments, check } = await victim();
    const middle = segments[1] as Segment;
    rmSync(join(dir, middle.name));
    expect(await check()).toMatchObject({ ok: false, position: Number(middle.name.slice(8, 24)), problem: 'deleted' });
  });

  it('detects a middle segment deleted and the next renamed to close the gap', async () => {
    const { dir, segments, check } = await victim();
    const [, middle, next] = segments as [Segment, Segment, Segment];
    rmSync(join(dir, middle.name));
    renameSync(join(dir, next.name), join(dir, middle.name));
    expect(await check()).toMatchObject({ ok: false, position: Number(middle.name.slice(8, 24)), problem: 'deleted' });
  });
});

describe('tampering with JSONL checkpoints', () => {
  const checkpointLines = (dir: string): string[] => readFileSync(join(dir, 'checkpoints.jsonl'), 'utf8').split('\n').slice(0, -1);
  const saveCheckpoints = (dir: string, lines: string[]): void => {
    writeFileSync(join(dir, 'checkpoints.jsonl'), lines.map((line) => `${line}\n`).join(''));
  };

  it.each(['rootHash', 'chainHash'])('refuses a checkpoint whose %s was edited', async (field) => {
    const { dir, check } = await victim();
    saveCheckpoints(
      dir,
      checkpointLines(dir).map((line) => {
        const head = JSON.parse(line) as Record<string, unknown>;
        return head.treeSize === 6 ? JSON.stringify({ ...head, [field]: '00'.repeat(32) }) : line;
      }),
    );
    expect(await check()).toMatchObject({ ok: false, position: 6, problem: 'bad_checkpoint' });
  });

  it('refuses a checkpoint signed with another key', async () => {
    const { dir, segments, check } = await victim();
    const all = segments.flatMap((segment) => segment.lines.map(parts));
    const forged = signTreeHead(checkpointSigner(attackerKeys.privateKey), SIZE, merkleRoot(all.map((p) => leafHash(p.canonical))), fromHex((all.at(-1) as { chain: string }).chain) as Uint8Array, '2026-02-01T00:00:00.000Z');
    saveCheckpoints(dir, [...checkpointLines(dir), JSON.stringify(forged)]);
    expect(await check()).toMatchObject({ ok: false, position: SIZE, problem: 'bad_checkpoint' });
  });

  it('refuses a checkpoint line that is not JSON, without throwing', async () => {
    const { dir, check } = await victim();
    saveCheckpoints(dir, ['{"treeSize":6,', ...checkpointLines(dir).slice(1)]);
    expect(await check()).toMatchObject({ ok: false, position: 0, problem: 'bad_checkpoint' });
  });
});
