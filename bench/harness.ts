import { Bench } from 'tinybench';

/** One side of a comparison: a label and the operation to time. */
export interface Contender {
  readonly name: string;
  readonly fn: () => unknown;
  /**
   * Operations `fn` performs per call (default 1). Sub-microsecond operations run in batches so that the per-call
   * timer reads of the harness do not dominate what is measured; reported rates are per operation.
   */
  readonly batch?: number;
}

/** One row of the printed table. */
export interface ComparisonRow {
  readonly suite: string;
  readonly rampart: string;
  readonly rampartOps: number;
  readonly peer: string;
  readonly peerOps: number;
  /** rampartOps / peerOps: above 1 means Rampart is faster. */
  readonly ratio: number;
}

const TIME_MS = Number(process.env.RAMPART_BENCH_TIME_MS ?? 1500);

/** One measured operation without a peer (e.g. Argon2id latency at defaults). */
export interface MeasureRow {
  readonly suite: string;
  readonly name: string;
  readonly ops: number;
  readonly meanMs: number;
}

/** What every `bench/<area>.bench.ts` returns from its exported `run()`. */
export type BenchRow = ComparisonRow | MeasureRow;

/** Times a single operation (no peer), e.g. Argon2id latency at defaults. */
export async function measure(suite: string, contender: Contender): Promise<MeasureRow> {
  const bench = new Bench({ time: TIME_MS, warmup: true });
  bench.add(contender.name, contender.fn);
  await bench.run();
  const task = bench.tasks[0];
  const result = task?.result;
  if (result === undefined || result.state !== 'completed') throw new Error(`${suite}: ${contender.name} did not complete`);
  const batch = contender.batch ?? 1;
  return { suite, name: contender.name, ops: result.throughput.mean * batch, meanMs: result.latency.mean / batch };
}

/** Times Rampart and the peer library people use today, side by side in one run, and returns their ratio. */
export async function compare(suite: string, rampart: Contender, peer: Contender): Promise<ComparisonRow> {
  const bench = new Bench({ time: TIME_MS, warmup: true });
  bench.add(rampart.name, rampart.fn).add(peer.name, peer.fn);
  await bench.run();
  const batches = [rampart.batch ?? 1, peer.batch ?? 1];
  const ops = bench.tasks.map((task, i) => {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${suite}: ${task.name} did not complete`);
    return result.throughput.mean * (batches[i] ?? 1);
  });
  const [rampartOps = 0, peerOps = 0] = ops;
  return { suite, rampart: rampart.name, rampartOps, peer: peer.name, peerOps, ratio: rampartOps / peerOps };
}
