// Worker thread of the parallel verify (verify-parallel.ts): checks one seq range of a SQLite audit file on its own
// read-only connection and reports what the main thread needs to join the ranges. It never diagnoses: any doubt is
// `ok: false`, and the main thread then runs the sequential walk, which names the position and the problem.
import Database from 'better-sqlite3';
import { parentPort } from 'node:worker_threads';
import { HASH_LENGTH, chainHash, leafHash, toHex } from './hash.js';
import { SQLITE_FRAMED_AT, framedSeq } from './row-check.js';

/** One range to check: rows `start <= seq < end`, chained from `previousChain` (the stored chain hash of `start - 1`). */
export interface RangeRequest {
  readonly id: number;
  readonly path: string;
  readonly start: number;
  readonly end: number;
  readonly previousChain: Uint8Array;
  /** Sizes at which to report the recomputed chain hash (signed heads). */
  readonly reportAt: readonly number[];
}

export type RangeReport =
  | {
      readonly id: number;
      readonly ok: true;
      readonly chainsAt: readonly (readonly [number, Uint8Array])[];
      /** Pruned rows: `[prunedBy, seq, leaf hash hex]`. */
      readonly pruned: readonly (readonly [number, number, string])[];
    }
  | { readonly id: number; readonly ok: false; readonly reason: string };

const PAGE = 4096;

/** Bits of the per-row flags column. */
const FRAMED = 1;
const SHAPED = 2;
const PRUNED = 4;

type RawRow = [unknown, unknown];

/** Checks one range in the calling thread (the worker's body; exported for tests and profiling). */
export function checkRange(request: RangeRequest): RangeReport {
  const db = new Database(request.path, { readonly: true, fileMustExist: true });
  try {
    // Reading a column into JavaScript costs about as much as hashing it, and a blob most of all, so the stored hashes
    // never leave the database: per page, the text and one flags integer come out, the recomputed hashes go back in
    // as one blob, and SQLite compares them row by row. No seq column either: seq is the INTEGER PRIMARY KEY, so
    // `end - start` rows in [start, end) are exactly the seqs start..end-1, in order.
    const rows = db
      .prepare(
        `SELECT canonical,
                (${SQLITE_FRAMED_AT}) * ${FRAMED}
                  + (typeof(leaf_hash) = 'blob' AND length(leaf_hash) = ${HASH_LENGTH} AND typeof(chain_hash) = 'blob' AND length(chain_hash) = ${HASH_LENGTH}) * ${SHAPED}
                  + (pruned_by IS NOT NULL) * ${PRUNED}
         FROM audit_entries WHERE seq >= ? AND seq < ? ORDER BY seq`,
      )
      .raw(true);
    // Mismatches between the stored hashes and the page blob of recomputed ones (64 bytes per row: leaf, chain).
    const mismatches = db
      .prepare(
        `SELECT COUNT(*) FROM audit_entries WHERE seq >= @start AND seq < @end
           AND (leaf_hash IS NOT substr(@hashes, (seq - @start) * ${2 * HASH_LENGTH} + 1, ${HASH_LENGTH})
             OR chain_hash IS NOT substr(@hashes, (seq - @start) * ${2 * HASH_LENGTH} + ${HASH_LENGTH + 1}, ${HASH_LENGTH}))`,
      )
      .pluck();
    // A pruned row's text is gone: its stored leaf hash stands in for it (and is then compared with itself).
    const prunedRow = db.prepare('SELECT pruned_by, leaf_hash FROM audit_entries WHERE seq = ?').raw(true);
    const reportAt = new Set(request.reportAt);
    const chainsAt: [number, Uint8Array][] = [];
    const pruned: [number, number, string][] = [];
    const computed = Buffer.allocUnsafe(PAGE * 2 * HASH_LENGTH);
    let previous = request.previousChain;
    let expected = request.start;
    const refuse = (reason: string): RangeReport => ({ id: request.id, ok: false, reason });
    for (let pageStart = request.start; pageStart < request.end; pageStart += PAGE) {
      const pageEnd = Math.min(request.end, pageStart + PAGE);
      const page = rows.all(pageStart, pageEnd) as RawRow[];
      if (page.length !== pageEnd - pageStart) return refuse(`rows missing in ${pageStart}..${pageEnd - 1}`);
      for (const [i, [canonical, flags]] of page.entries()) {
        if (typeof flags !== 'number' || (flags & SHAPED) === 0) return refuse(`row ${expected}`);
        let leaf: Uint8Array;
        if ((flags & PRUNED) !== 0) {
          const [by, storedLeaf] = prunedRow.get(expected) as [unknown, unknown];
          if (canonical !== '' || typeof by !== 'number' || !(by > expected) || !(storedLeaf instanceof Uint8Array)) return refuse(`pruned row ${expected}`);
          leaf = storedLeaf;
          pruned.push([by, expected, toHex(storedLeaf)]);
        } else {
          if (typeof canonical !== 'string' || (flags & FRAMED) === 0 || !framedSeq(canonical, expected)) return refuse(`row ${expected}`);
          leaf = leafHash(canonical);
        }
        const chain = chainHash(previous, leaf);
        computed.set(leaf, 2 * HASH_LENGTH * i);
        computed.set(chain, 2 * HASH_LENGTH * i + HASH_LENGTH);
        previous = chain;
        expected += 1;
        if (reportAt.has(expected)) chainsAt.push([expected, previous]);
      }
      if (mismatches.get({ start: pageStart, end: pageEnd, hashes: computed.subarray(0, page.length * 2 * HASH_LENGTH) }) !== 0) return refuse(`hashes differ in ${pageStart}..${pageEnd - 1}`);
    }
    return { id: request.id, ok: true, chainsAt, pruned };
  } finally {
    db.close();
  }
}

parentPort?.on('message', (request: RangeRequest) => {
  let report: RangeReport;
  try {
    report = checkRange(request);
  } catch (error) {
    report = { id: request.id, ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(report);
});
