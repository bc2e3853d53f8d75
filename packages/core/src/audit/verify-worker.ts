// Worker thread of the parallel verify (verify-parallel.ts): checks one seq range of a SQLite audit file on its own
// read-only connection and reports what the main thread needs to join the ranges. It never diagnoses: any doubt is
// `ok: false`, and the main thread then runs the sequential walk, which names the position and the problem.
import Database from 'better-sqlite3';
import { parentPort } from 'node:worker_threads';
import { HASH_LENGTH, chainHashInto, leafHashInto, toHex } from './hash.js';
import { framedAt, framedSeq } from './row-check.js';

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


/** Checks one range in the calling thread (the worker's body; exported for tests and profiling). */
export function checkRange(request: RangeRequest): RangeReport {
  const db = new Database(request.path, { readonly: true, fileMustExist: true });
  try {
    // Moving a value from SQLite into JavaScript costs more per row than hashing the row, so a page comes out as one
    // row of aggregates: every text joined by newlines (canonical JSON has none: RFC 8785 escapes them, and a stored
    // text holding one makes the piece count wrong, which fails the page), every `at` the same way, the row count, the
    // number of rows with a column of the wrong type or size, and the seqs of pruned rows. The stored hashes never
    // leave the database: the recomputed ones go back in as one blob and SQLite compares them row by row. Seq is the
    // INTEGER PRIMARY KEY, so `end - start` rows in [start, end) are exactly start..end-1, and the range scan walks
    // them in that order (no ORDER BY: in an aggregate it costs a sort). Were the order ever different, the seqs
    // framed in the texts and the hash comparison would fail the page: never a false pass.
    const pageQuery = db
      .prepare(
        `SELECT group_concat(canonical, char(10)),
                group_concat(at, char(10)),
                COUNT(*),
                SUM(NOT (typeof(canonical) = 'text' AND typeof(at) = 'text'
                         AND typeof(leaf_hash) = 'blob' AND length(leaf_hash) = ${HASH_LENGTH}
                         AND typeof(chain_hash) = 'blob' AND length(chain_hash) = ${HASH_LENGTH})),
                group_concat(CASE WHEN pruned_by IS NOT NULL THEN seq END)
         FROM audit_entries WHERE seq >= ? AND seq < ?`,
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
    const previous = Buffer.from(request.previousChain);
    let expected = request.start;
    const refuse = (reason: string): RangeReport => ({ id: request.id, ok: false, reason });
    for (let pageStart = request.start; pageStart < request.end; pageStart += PAGE) {
      const pageEnd = Math.min(request.end, pageStart + PAGE);
      const size = pageEnd - pageStart;
      // Counts and types are all-or-nothing per page; only pruned rows are told apart, by their seqs (few, or none).
      const [joined, joinedAt, count, misshapen, prunedSeqs] = pageQuery.get(pageStart, pageEnd) as [unknown, unknown, unknown, unknown, unknown];
      if (count !== size || typeof joined !== 'string' || typeof joinedAt !== 'string') return refuse(`rows missing in ${pageStart}..${pageEnd - 1}`);
      if (misshapen !== 0) return refuse(`a row in ${pageStart}..${pageEnd - 1} has a column of the wrong type or size`);
      const prunedHere = typeof prunedSeqs === 'string' ? new Set(prunedSeqs.split(',').map(Number)) : undefined;
      const texts = joined.split('\n');
      const ats = joinedAt.split('\n');
      if (texts.length !== size || ats.length !== size) return refuse(`a value in ${pageStart}..${pageEnd - 1} holds a line break`);
      for (let i = 0; i < size; i++) {
        const canonical = texts[i] as string;
        // Row i's recomputed leaf and chain hash go straight into the page blob: no allocation per row.
        const leafAt = 2 * HASH_LENGTH * i;
        if (prunedHere?.has(expected) === true) {
          const [by, storedLeaf] = prunedRow.get(expected) as [unknown, unknown];
          if (canonical !== '' || typeof by !== 'number' || !(by > expected) || !(storedLeaf instanceof Buffer) || storedLeaf.length !== HASH_LENGTH) {
            return refuse(`pruned row ${expected}`);
          }
          storedLeaf.copy(computed, leafAt);
          pruned.push([by, expected, toHex(storedLeaf)]);
        } else {
          if (!framedAt(canonical, ats[i] as string) || !framedSeq(canonical, expected)) return refuse(`row ${expected}`);
          leafHashInto(canonical, computed, leafAt);
        }
        chainHashInto(previous, computed, leafAt, computed, leafAt + HASH_LENGTH);
        computed.copy(previous, 0, leafAt + HASH_LENGTH, leafAt + 2 * HASH_LENGTH);
        expected += 1;
        if (reportAt.has(expected)) chainsAt.push([expected, Buffer.from(previous)]);
      }
      if (mismatches.get({ start: pageStart, end: pageEnd, hashes: computed.subarray(0, size * 2 * HASH_LENGTH) }) !== 0) return refuse(`hashes differ in ${pageStart}..${pageEnd - 1}`);
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
