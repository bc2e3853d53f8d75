import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '@rampart/core/worker';
import type { SourceFile } from '../engine/api.js';
import type { OpaqueEngine } from './engine-module.js';
import { ModuleHost, type ModuleOutcome } from './host.js';
import type { RoundRequest, WorkerMessage, WorkerSetup } from './protocol.js';

/** Runs rounds of module analyses, in this thread or on worker threads; the orchestrator does not care which. */
export interface RoundExecutor {
  /**
   * Analyses `modules` against the summaries of the previous round. `changed` are the summaries that changed since the
   * last call; `all` every current summary (for hosts that join late). Outcomes arrive through `onOutcome`.
   */
  run(
    round: number,
    changed: readonly (readonly [string, unknown])[],
    all: ReadonlyMap<string, unknown>,
    modules: readonly string[],
    onOutcome: (outcome: ModuleOutcome) => void,
  ): Promise<void>;
  /** Parsed files across all hosts so far. */
  readonly parsedFiles: number;
  close(): Promise<void>;
}

/** Analyses in the calling thread (`threads: 0`): the simplest path, and the reference the threaded one must equal. */
export class InProcessExecutor implements RoundExecutor {
  readonly #host: ModuleHost;
  #parsed = 0;

  constructor(engine: OpaqueEngine, rules: unknown, sources: readonly SourceFile[]) {
    this.#host = new ModuleHost(engine, rules, sources, sources.map((source) => source.file));
  }

  get parsedFiles(): number {
    return this.#parsed;
  }

  run(
    _round: number,
    changed: readonly (readonly [string, unknown])[],
    _all: ReadonlyMap<string, unknown>,
    modules: readonly string[],
    onOutcome: (outcome: ModuleOutcome) => void,
  ): Promise<void> {
    this.#host.updateSummaries(changed);
    for (const module of modules) {
      const outcome = this.#host.analyze(module);
      if (outcome.parsed) this.#parsed++;
      onOutcome(outcome);
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Splits files into `count` shards of similar total size (largest first onto the lightest shard), deterministically.
 * Size stands in for parse and analysis cost.
 */
export function shardSources(sources: readonly SourceFile[], count: number): SourceFile[][] {
  const shards: SourceFile[][] = Array.from({ length: Math.max(1, count) }, () => []);
  const load = shards.map(() => 0);
  const bySize = [...sources].sort((a, b) => b.text.length - a.text.length || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  for (const source of bySize) {
    let lightest = 0;
    for (let i = 1; i < load.length; i++) if ((load[i] ?? 0) < (load[lightest] ?? 0)) lightest = i;
    shards[lightest]?.push(source);
    load[lightest] = (load[lightest] ?? 0) + source.text.length + 1;
  }
  return shards.filter((shard) => shard.length > 0);
}

interface ShardWorker {
  readonly sources: readonly SourceFile[];
  worker?: Worker;
  /** Why the worker stopped, once it has: later rounds fail at once instead of waiting for it. */
  failure?: Error;
  /** Set while a round runs on this worker. */
  pending?: { readonly round: number; readonly resolve: () => void; readonly reject: (error: Error) => void; readonly onOutcome: (outcome: ModuleOutcome) => void };
}

/**
 * Analyses on worker threads, one per shard. A worker starts only when its shard first has work (so a review served
 * entirely from the cache starts none), parses each of its files at most once and keeps the ASTs for later rounds.
 */
export class WorkerExecutor implements RoundExecutor {
  readonly #shards: ShardWorker[];
  readonly #owner = new Map<string, ShardWorker>();
  readonly #files: readonly string[];
  #parsed = 0;
  #closed = false;

  constructor(
    private readonly engineModule: string,
    private readonly rules: unknown,
    sources: readonly SourceFile[],
    threads: number,
  ) {
    this.#files = sources.map((source) => source.file);
    this.#shards = shardSources(sources, threads).map((shard) => ({ sources: shard }));
    for (const shard of this.#shards) for (const source of shard.sources) this.#owner.set(source.file, shard);
  }

  get parsedFiles(): number {
    return this.#parsed;
  }

  async run(
    round: number,
    changed: readonly (readonly [string, unknown])[],
    all: ReadonlyMap<string, unknown>,
    modules: readonly string[],
    onOutcome: (outcome: ModuleOutcome) => void,
  ): Promise<void> {
    const work = new Map<ShardWorker, string[]>();
    for (const module of modules) {
      const shard = this.#owner.get(module);
      if (shard === undefined) continue;
      const list = work.get(shard) ?? [];
      list.push(module);
      work.set(shard, list);
    }
    const rounds: Promise<void>[] = [];
    for (const shard of this.#shards) {
      const assigned = work.get(shard);
      // A started worker hears every round's changed summaries, even with nothing to do, so it never falls behind.
      if (shard.worker === undefined && assigned === undefined) continue;
      const joining = shard.worker === undefined;
      const worker = shard.worker ?? this.#start(shard);
      const request: RoundRequest = { round, summaries: joining ? [...all] : changed, modules: assigned ?? [] };
      rounds.push(new Promise<void>((resolve, reject) => {
        if (shard.failure !== undefined) {
          reject(shard.failure);
          return;
        }
        shard.pending = { round, resolve, reject, onOutcome };
        worker.postMessage(request);
      }));
    }
    await Promise.all(rounds);
  }

  #start(shard: ShardWorker): Worker {
    const setup: WorkerSetup = { engineModule: this.engineModule, rules: this.rules, sources: shard.sources, files: this.#files };
    const worker = startModuleWorker(import.meta.url, 'module-worker', setup);
    shard.worker = worker;
    worker.on('message', (message: WorkerMessage) => {
      const pending = shard.pending;
      if (message.type === 'fatal') {
        this.#fail(shard, new Error(`review worker failed: ${message.message}`));
      } else if (pending !== undefined && message.round === pending.round) {
        if (message.type === 'outcome') {
          if (message.outcome.parsed) this.#parsed++;
          pending.onOutcome(message.outcome);
        } else {
          shard.pending = undefined;
          pending.resolve();
        }
      }
    });
    worker.on('error', (error) => { this.#fail(shard, error); });
    worker.on('exit', (code) => {
      if (!this.#closed) this.#fail(shard, new Error(`review worker exited (code ${code})`));
    });
    return worker;
  }

  #fail(shard: ShardWorker, error: Error): void {
    shard.failure ??= error;
    const pending = shard.pending;
    shard.pending = undefined;
    pending?.reject(error);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#shards.map((shard) => shard.worker?.terminate() ?? Promise.resolve(0)));
  }
}
