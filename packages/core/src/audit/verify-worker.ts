// Worker thread of the parallel verify (verify-parallel.ts): checks one seq range of a SQLite audit file on its own
// read-only connection and reports what the main thread needs to join the ranges. It never diagnoses: any doubt is
// `ok: false`, and the main thread then runs the sequential walk, which names the position and the problem.
import Database from 'better-sqlite3';
import { parentPort } from 'node:worker_threads';
import { HASH_LENGTH, chainHash, leafHash, sameHash, toHex } from './hash.js';
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

type RawRow = [unknown, unknown, unknown];

/** Checks one range in the calling thread (the worker's body; exported for tests and profiling). */
export function checkRange(request: RangeRequest): RangeReport {
  const db = new Database(request.path, { readonly: true, fileMustExist: true });
  try {
    // Three columns per row — the text, one flags integer the database computes, both hashes as one blob — because
    // reading a row costs about as much per column as hashing it. No seq column: seq is the INTEGER PRIMARY KEY, so
    // `end - start` rows in [start, end) are exactly the seqs start..end-1, in order.
    const rows = db
      .prepare(
        `SELECT canonical,
                (${SQLITE_FRAMED_AT}) * ${FRAMED}
                  + (typeof(leaf_hash) = 'blob' AND length(leaf_hash) = ${HASH_LENGTH} AND typeof(chain_hash) = 'blob' AND length(chain_hash) = ${HASH_LENGTH}) * ${SHAPED}
                  + (pruned_by IS NOT NULL) * ${PRUNED},
                unhex(hex(leaf_hash) || hex(chain_hash))
         FROM audit_entries WHERE seq >= ? AND seq < ? ORDER BY seq`,
      )
      .raw(true);
    const prunedBy = db.prepare('SELECT pruned_by FROM audit_entries WHERE seq = ?').pluck();
    const reportAt = new Set(request.reportAt);
    const chainsAt: [number, Uint8Array][] = [];
    const pruned: [number, number, string][] = [];
    let previous = request.previousChain;
    let expected = request.start;
    const refuse = (reason: string): RangeReport => ({ id: request.id, ok: false, reason });
    for (let pageStart = request.start; pageStart < request.end; pageStart += PAGE) {
      const pageEnd = Math.min(request.end, pageStart + PAGE);
      const page = rows.all(pageStart, pageEnd) as RawRow[];
      if (page.length !== pageEnd - pageStart) return refuse(`rows missing in ${pageStart}..${pageEnd - 1}`);
      for (const [canonical, flags, hashes] of page) {
        if (typeof flags !== 'number' || (flags & SHAPED) === 0 || !(hashes instanceof Uint8Array) || hashes.length !== 2 * HASH_LENGTH) return refuse(`row ${expected}`);
        const storedLeaf = hashes.subarray(0, HASH_LENGTH);
        const storedChain = hashes.subarray(HASH_LENGTH);
        let chain: Uint8Array;
        if ((flags & PRUNED) !== 0) {
          const by: unknown = prunedBy.get(expected);
          if (canonical !== '' || typeof by !== 'number' || !(by > expected)) return refuse(`pruned row ${expected}`);
          chain = chainHash(previous, storedLeaf);
          pruned.push([by, expected, toHex(storedLeaf)]);
        } else {
          if (typeof canonical !== 'string' || (flags & FRAMED) === 0 || !framedSeq(canonical, expected)) return refuse(`row ${expected}`);
          const leaf = leafHash(canonical);
          if (!sameHash(leaf, storedLeaf)) return refuse(`row ${expected}`);
          chain = chainHash(previous, leaf);
        }
        if (!sameHash(chain, storedChain)) return refuse(`row ${expected}`);
        previous = chain;
        expected += 1;
        if (reportAt.has(expected)) chainsAt.push([expected, previous]);
      }
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
