import Database from 'better-sqlite3';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { securityEvent } from '../events.js';
import { checkpointSigner, signTreeHead, type SignedTreeHead } from './checkpoint.js';
import { chainHash, GENESIS_CHAIN_HASH, leafHash } from './hash.js';
import { AuditLog } from './log.js';
import { inclusionPath, merkleRoot } from './merkle.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { checkInclusion, verify } from './verify.js';

// Every test here is an attacker with write access to the SQLite file, editing it with plain SQL after the log closed.

const root = mkdtempSync(join(tmpdir(), 'rampart-audit-attack-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
let files = 0;

const keys = generateKeyPairSync('ed25519');
const attackerKeys = generateKeyPairSync('ed25519');
const signer = checkpointSigner(keys.privateKey);
const trusted = { publicKey: keys.publicKey };
const SIZE = 12;

interface Row {
  seq: number;
  at: string;
  canonical: string;
  leaf_hash: Buffer;
  chain_hash: Buffer;
}

/** A closed log of 12 entries with checkpoints at sizes 6 and 12, and the attacker's connection to its file. */
async function victim(): Promise<{ path: string; db: Database.Database; heads: SignedTreeHead[] }> {
  const path = join(root, `victim${++files}.db`);
  const clock = new ManualClock();
  const log = await AuditLog.open({ store: new SqliteAuditStore(path), signer, clock });
  const heads: SignedTreeHead[] = [];
  for (let i = 0; i < SIZE; i++) {
    clock.advance(1000);
    await log.append(securityEvent('authz.denied', `user${i}`, { action: 'delete', resource: `doc${i}` }));
    if (i === 5) heads.push(await log.checkpoint());
  }
  const last = await log.close();
  if (last !== undefined) heads.push(last);
  expect(await verify(new SqliteAuditStore(path), trusted)).toEqual({ ok: true, entries: SIZE, checkpoints: 2 });
  return { path, db: new Database(path), heads };
}

function rows(db: Database.Database): Row[] {
  return db.prepare('SELECT * FROM audit_entries ORDER BY seq').all() as Row[];
}

/** Rewrites rows from `from` on with hashes recomputed from their (possibly edited) text, as a careful attacker would. */
function rehash(db: Database.Database, from: number): void {
  const all = rows(db);
  let previous: Uint8Array = from === 0 ? GENESIS_CHAIN_HASH : all[from - 1]!.chain_hash;
  const update = db.prepare('UPDATE audit_entries SET leaf_hash = ?, chain_hash = ? WHERE seq = ?');
  for (const row of all.slice(from)) {
    const leaf = leafHash(row.canonical);
    previous = chainHash(previous, leaf);
    update.run(Buffer.from(leaf), Buffer.from(previous), row.seq);
  }
}

async function check(path: string, db: Database.Database, extra?: readonly SignedTreeHead[]) {
  db.close();
  const store = new SqliteAuditStore(path);
  try {
    return await verify(store, extra === undefined ? trusted : { ...trusted, checkpoints: extra });
  } finally {
    await store.close();
  }
}

function insertHead(db: Database.Database, head: SignedTreeHead): void {
  db.prepare('INSERT INTO audit_checkpoints (tree_size, root_hash, chain_hash, at, key_id, signature) VALUES (?, ?, ?, ?, ?, ?)').run(
    head.treeSize,
    head.rootHash,
    head.chainHash,
    head.at,
    head.keyId,
    head.signature,
  );
}

const promote = (text: string) => text.replace('"user4"', '"admin"');

describe('tampering with entries', () => {
  it('detects one field of one entry edited', async () => {
    const { path, db } = await victim();
    db.prepare('UPDATE audit_entries SET canonical = ? WHERE seq = 4').run(promote(rows(db)[4]!.canonical));
    expect(await check(path, db)).toMatchObject({ ok: false, position: 4, problem: 'modified' });
  });

  it('detects the edit when the leaf hash is recomputed too: the chain breaks', async () => {
    const { path, db } = await victim();
    const text = promote(rows(db)[4]!.canonical);
    db.prepare('UPDATE audit_entries SET canonical = ?, leaf_hash = ? WHERE seq = 4').run(text, Buffer.from(leafHash(text)));
    expect(await check(path, db)).toMatchObject({ ok: false, position: 4, problem: 'modified' });
  });

  it('detects the edit when leaf and chain hash of that row are recomputed: the next link breaks', async () => {
    const { path, db } = await victim();
    const all = rows(db);
    const text = promote(all[4]!.canonical);
    const leaf = leafHash(text);
    db.prepare('UPDATE audit_entries SET canonical = ?, leaf_hash = ?, chain_hash = ? WHERE seq = 4').run(text, Buffer.from(leaf), Buffer.from(chainHash(all[3]!.chain_hash, leaf)));
    expect(await check(path, db)).toMatchObject({ ok: false, position: 5, problem: 'modified' });
  });

  it('detects an edit with every later hash recomputed: the signed root no longer matches', async () => {
    const { path, db } = await victim();
    db.prepare('UPDATE audit_entries SET canonical = ? WHERE seq = 8').run(rows(db)[8]!.canonical.replace('"user8"', '"admin"'));
    rehash(db, 8);
    // Entries 0..5 still match the head of size 6: the damage lies in 6..11.
    expect(await check(path, db)).toMatchObject({ ok: false, position: 6, problem: 'modified' });
  });

  it('reports a rewrite under the first checkpoint before a later gap', async () => {
    const { path, db } = await victim();
    db.prepare('UPDATE audit_entries SET canonical = ? WHERE seq = 2').run(rows(db)[2]!.canonical.replace('"user2"', '"admin"'));
    rehash(db, 2);
    db.prepare('DELETE FROM audit_entries WHERE seq = 9').run();
    expect(await check(path, db)).toMatchObject({ ok: false, position: 0, problem: 'modified' });
  });

  it('detects a changed time column', async () => {
    const { path, db } = await victim();
    db.prepare("UPDATE audit_entries SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 2").run();
    expect(await check(path, db)).toMatchObject({ ok: false, position: 2, problem: 'modified' });
  });

  it('detects a deleted entry', async () => {
    const { path, db } = await victim();
    db.prepare('DELETE FROM audit_entries WHERE seq = 5').run();
    expect(await check(path, db)).toMatchObject({ ok: false, position: 5, problem: 'deleted' });
  });

  it('detects a deleted entry when later rows are renumbered to close the gap', async () => {
    const { path, db } = await victim();
    db.prepare('DELETE FROM audit_entries WHERE seq = 5').run();
    db.prepare('UPDATE audit_entries SET seq = seq + 1000 WHERE seq > 5').run();
    db.prepare('UPDATE audit_entries SET seq = seq - 1001 WHERE seq > 1000').run();
    expect(await check(path, db)).toMatchObject({ ok: false, position: 5, problem: 'deleted' });
  });

  it('detects a forged entry inserted in the middle with correct hashes of its own', async () => {
    const { path, db } = await victim();
    const all = rows(db);
    db.prepare('UPDATE audit_entries SET seq = seq + 1000 WHERE seq >= 5').run();
    db.prepare('UPDATE audit_entries SET seq = seq - 999 WHERE seq >= 1000').run();
    const forged = all[5]!.canonical.replace('"authz.denied"', '"authz.allowed"').replace('"user5"', '"mallory"');
    const leaf = leafHash(forged);
    db.prepare('INSERT INTO audit_entries (seq, at, canonical, leaf_hash, chain_hash) VALUES (?, ?, ?, ?, ?)').run(5, all[5]!.at, forged, Buffer.from(leaf), Buffer.from(chainHash(all[4]!.chain_hash, leaf)));
    expect(await check(path, db)).toMatchObject({ ok: false, position: 5, problem: 'inserted' });
  });

  it('detects two entries swapped', async () => {
    const { path, db } = await victim();
    db.prepare('UPDATE audit_entries SET seq = -1 WHERE seq = 3').run();
    db.prepare('UPDATE audit_entries SET seq = 3 WHERE seq = 7').run();
    db.prepare('UPDATE audit_entries SET seq = 7 WHERE seq = -1').run();
    expect(rows(db)[3]!.canonical).toContain('"seq":7');
    expect(await check(path, db)).toMatchObject({ ok: false, position: 3, problem: 'reordered' });
  });

  it('detects a truncated tail under a checkpoint', async () => {
    const { path, db } = await victim();
    db.prepare('DELETE FROM audit_entries WHERE seq >= 9').run();
    expect(await check(path, db)).toMatchObject({ ok: false, position: 9, problem: 'truncated' });
  });

  it('detects a truncated tail whose checkpoints were deleted too, given a head kept elsewhere', async () => {
    const { path, db, heads } = await victim();
    db.prepare('DELETE FROM audit_entries WHERE seq >= 9').run();
    db.prepare('DELETE FROM audit_checkpoints').run();
    expect(await check(path, db, [heads.at(-1)!])).toMatchObject({ ok: false, position: 9, problem: 'truncated' });
  });
});

describe('tampering with checkpoints and proofs', () => {
  it('refuses a checkpoint signed with another key', async () => {
    const { path, db } = await victim();
    const all = rows(db);
    const leaves = all.map((row) => leafHash(row.canonical));
    const forged = signTreeHead(checkpointSigner(attackerKeys.privateKey), SIZE, merkleRoot(leaves), all.at(-1)!.chain_hash, '2026-02-01T00:00:00.000Z');
    insertHead(db, forged);
    expect(await check(path, db)).toMatchObject({ ok: false, position: SIZE, problem: 'bad_checkpoint' });
  });

  it('refuses a rewritten log whose checkpoints were re-signed with the attacker key', async () => {
    const { path, db } = await victim();
    db.prepare('UPDATE audit_entries SET canonical = ? WHERE seq = 1').run(rows(db)[1]!.canonical.replace('"user1"', '"admin"'));
    rehash(db, 1);
    const all = rows(db);
    const leaves = all.map((row) => leafHash(row.canonical));
    const attacker = checkpointSigner(attackerKeys.privateKey);
    db.prepare('DELETE FROM audit_checkpoints').run();
    for (const size of [6, SIZE]) insertHead(db, signTreeHead(attacker, size, merkleRoot(leaves.slice(0, size)), all[size - 1]!.chain_hash, '2026-02-01T00:00:00.000Z'));
    expect(await check(path, db)).toMatchObject({ ok: false, position: 6, problem: 'bad_checkpoint' });
  });

  it.each(['root_hash', 'chain_hash'])('refuses a checkpoint whose %s was edited', async (column) => {
    const { path, db } = await victim();
    db.prepare(`UPDATE audit_checkpoints SET ${column} = ? WHERE tree_size = 6`).run('00'.repeat(32));
    expect(await check(path, db)).toMatchObject({ ok: false, position: 6, problem: 'bad_checkpoint' });
  });

  it('with recomputeRoots, catches a head whose signed root does not match its entries (a signer bug or a stolen key)', async () => {
    const { path, db } = await victim();
    const all = rows(db);
    db.prepare('DELETE FROM audit_checkpoints').run();
    // Signed by the genuine key, genuine chain hash, but the root of other leaves.
    insertHead(db, signTreeHead(signer, SIZE, leafHash('not the root'), all.at(-1)!.chain_hash, '2026-02-01T00:00:00.000Z'));
    db.close();
    const store = new SqliteAuditStore(path);
    expect(await verify(store, trusted)).toMatchObject({ ok: true });
    expect(await verify(store, { ...trusted, recomputeRoots: true })).toMatchObject({ ok: false, position: 0, problem: 'modified' });
    await store.close();
  });

  it('an inclusion proof for a forged entry fails against the genuine signed head', async () => {
    const { path, db, heads } = await victim();
    const genuine = rows(db).map((row) => row.canonical);
    const forged = promote(genuine[4]!);
    db.prepare('UPDATE audit_entries SET canonical = ?, leaf_hash = ? WHERE seq = 4').run(forged, Buffer.from(leafHash(forged)));
    db.close();
    const head = heads.at(-1)!;
    const log = await AuditLog.open({ store: new SqliteAuditStore(path), signer });
    const proof = await log.inclusionProof(4, head.treeSize);
    expect((await log.entry(4))?.event.subject).toBe('admin');
    expect(checkInclusion(forged, proof, head, keys.publicKey)).toBe(false);
    // The genuine entry, with a proof over the genuine leaves, still proves against the same head.
    const path4 = inclusionPath(4, genuine.map((text) => leafHash(text))).map((hash) => Buffer.from(hash).toString('hex'));
    expect(checkInclusion(genuine[4]!, { leafIndex: 4, treeSize: head.treeSize, path: path4 }, head, keys.publicKey)).toBe(true);
    expect(checkInclusion(forged, { leafIndex: 4, treeSize: head.treeSize, path: path4 }, head, keys.publicKey)).toBe(false);
    await log.store.close();
  });
});

describe('attacker-controlled values', () => {
  /** A plain-text export as an operator would write it: one line per entry, values as stored. */
  function textExport(path: string): string {
    const db = new Database(path, { readonly: true });
    try {
      const stored = db.prepare('SELECT canonical FROM audit_entries ORDER BY seq').all() as { canonical: string }[];
      return stored
        .map((row) => {
          const { at, event } = JSON.parse(row.canonical) as { at: string; event: { type: string; subject?: string; attributes?: Record<string, unknown> } };
          const attributes = Object.entries(event.attributes ?? {}).map(([k, v]) => `${k}=${String(v)}`);
          return [at, event.type, `subject=${event.subject ?? '-'}`, ...attributes].join(' ');
        })
        .join('\n');
    } finally {
      db.close();
    }
  }

  it('cannot forge a second entry in a text export through CR/LF, NEL or U+2028 in a user name or attribute', async () => {
    const path = join(root, `victim${++files}.db`);
    const log = await AuditLog.open({ store: new SqliteAuditStore(path), signer, clock: new ManualClock() });
    const forged = '2026-01-01T00:00:00.000Z auth.login.succeeded subject=root';
    await log.append(securityEvent('auth.login.failed', `bob\r\n${forged}`, { reason: `x\u0085${forged}\u2028${forged}` }));
    await log.append(securityEvent('authz.denied', 'carol'));
    await log.close();

    const lines = textExport(path).split(/\r\n|[\n\r\u0085\u2028\u2029]/);
    expect(lines).toHaveLength(2);
    expect(lines.filter((line) => line.startsWith(forged))).toEqual([]);
    expect(lines[0]).toContain('subject=bob\\r\\n2026-01-01T00:00:00.000Z auth.login.succeeded subject=root');
    expect(await verify(new SqliteAuditStore(path), trusted)).toEqual({ ok: true, entries: 2, checkpoints: 1 });
  });

  it('cannot make the chain commit to a secret it passes in an attribute', async () => {
    const path = join(root, `victim${++files}.db`);
    const log = await AuditLog.open({ store: new SqliteAuditStore(path), signer, clock: new ManualClock() });
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJyb290In0.MEUCIQDf3x9s1g';
    const ack = await log.append(securityEvent('auth.login.failed', 'bob', { note: `Authorization: Bearer ${jwt}`, password: 'hunter2' }));
    expect(ack.redacted).toBe(2);
    await log.close();
    const db = new Database(path, { readonly: true });
    const everything = JSON.stringify(db.prepare('SELECT * FROM audit_entries').all());
    db.close();
    expect(everything).not.toContain(jwt);
    expect(everything).not.toContain('hunter2');
  });
});
