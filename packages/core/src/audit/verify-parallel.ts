import Database from 'better-sqlite3';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../worker-module.js';
import { GENESIS_CHAIN_HASH } from './hash.js';
import type { RangeReport, RangeRequest } from './verify-worker.js';

/*
 * Why threads: verify() costs two SHA-256 per entry (leaf and chain link) plus reading the row, and node:crypto's
 * per-call cost alone caps one core at roughly 350,000 entries/s. The ranges of a log can be checked independently —
 * each from the *stored* chain hash before it: a range passes only if every recomputed link equals the stored one, its
 * last included, which is the hash the next range starts from — so every link holds, exactly as in a sequential walk. Each worker reads
 * its range on its own read-only SQLite connection, so rows never cross threads.
 */

/** Fewer rows than this per worker and the sequential walk is as fast. */
const MIN_ROWS_PER_WORKER = 4096;

interface Pending {
  readonly resolve: (report: RangeReport) => void;
  readonly reject: (error: Error) => void;
}

class WorkerPool {
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #broken = false;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const worker = startModuleWorker(import.meta.url, 'verify-worker');
      worker.on('message', (report: RangeReport) => {
        const pending = this.#pending.get(report.id);
        this.#pending.delete(report.id);
        this.#idle();
        pending?.resolve(report);
      });
      worker.on('error', (error) => {
        this.#fail(error);
      });
      worker.on('exit', () => {
        this.#fail(new Error('a verify worker exited'));
      });
      worker.unref();
      this.#workers.push(worker);
    }
  }

  get size(): number {
    return this.#workers.length;
  }

  get broken(): boolean {
    return this.#broken;
  }

  run(index: number, request: Omit<RangeRequest, 'id'>): Promise<RangeReport> {
    const worker = this.#workers[index % this.#workers.length] as Worker;
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // Held while work is pending, so the process does not exit under an awaited verify; idle workers keep nothing alive.
      for (const w of this.#workers) w.ref();
      worker.postMessage({ ...request, id });
    });
  }

  #idle(): void {
    if (this.#pending.size === 0) for (const w of this.#workers) w.unref();
  }

  #fail(error: Error): void {
    this.#broken = true;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    for (const w of this.#workers) void w.terminate();
  }
}

let pool: WorkerPool | undefined;

function workerPool(size: number): WorkerPool {
  if (pool === undefined || pool.broken || pool.size < size) pool = new WorkerPool(size);
  return pool;
}

/** What the parallel pass found: the chain hash after each head's size, and the pruned rows. */
export interface ParallelPass {
  readonly entries: number;
  readonly chainAt: ReadonlyMap<number, Uint8Array>;
  readonly pruned: ReadonlyMap<number, { seq: number; leafHex: string }[]>;
}

/**
 * Checks the SQLite log at `path` on `workers` threads. Resolves with what the head and prune checks need when every
 * row holds; `undefined` when anything does not (or the log is small, or threads fail) — the caller then runs the
 * sequential walk, which alone reports problems, so both paths always give the same verdict.
 */
export async function parallelPass(path: string, headSizes: readonly number[], workers: number): Promise<ParallelPass | undefined> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  let entries: number;
  let bounds: number[];
  let starts: Uint8Array[];
  try {
    const { c, lo, hi } = db.prepare('SELECT COUNT(*) AS c, MIN(seq) AS lo, MAX(seq) AS hi FROM audit_entries').get() as { c: unknown; lo: unknown; hi: unknown };
    if (typeof c !== 'number' || c === 0 || lo !== 0 || hi !== c - 1) return undefined;
    entries = c;
    const count = Math.min(workers, Math.floor(entries / MIN_ROWS_PER_WORKER));
    if (count < 2) return undefined;
    bounds = Array.from({ length: count + 1 }, (_, i) => Math.round((entries * i) / count));
    const storedChain = db.prepare('SELECT chain_hash FROM audit_entries WHERE seq = ?').pluck();
    starts = bounds.slice(0, -1).map((start) => {
      if (start === 0) return GENESIS_CHAIN_HASH;
      const hash: unknown = storedChain.get(start - 1);
      return hash instanceof Uint8Array ? hash : new Uint8Array(0);
    });
  } finally {
    db.close();
  }
  let reports: RangeReport[];
  try {
    const threads = workerPool(workers);
    reports = await Promise.all(
      starts.map((previousChain, i) => {
        const start = bounds[i] as number;
        const end = bounds[i + 1] as number;
        return threads.run(i, { path, start, end, previousChain, reportAt: headSizes.filter((size) => size > start && size <= end) });
      }),
    );
  } catch {
    return undefined;
  }
  const chainAt = new Map<number, Uint8Array>([[0, GENESIS_CHAIN_HASH]]);
  const pruned = new Map<number, { seq: number; leafHex: string }[]>();
  for (const report of reports) {
    if (!report.ok) return undefined;
    // The join needs no check of its own: a range is ok only if its last recomputed chain hash equals the stored one,
    // which is exactly the hash the next range started from.
    for (const [size, chain] of report.chainsAt) chainAt.set(size, chain);
    for (const [by, seq, leafHex] of report.pruned) {
      const group = pruned.get(by) ?? [];
      group.push({ seq, leafHex });
      pruned.set(by, group);
    }
  }
  return { entries, chainAt, pruned };
}

/** Worker threads verify() may use by default: every core, at most four. */
export function defaultVerifyWorkers(): number {
  return Math.min(4, availableParallelism());
}
