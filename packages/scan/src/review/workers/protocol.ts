import type { SourceFile } from '../engine/api.js';
import type { ModuleOutcome } from './host.js';

/** The worker's `workerData`: everything it needs to host its shard. All plain data. */
export interface WorkerSetup {
  readonly engineModule: string;
  readonly rules: unknown;
  readonly sources: readonly SourceFile[];
  /** Every file in the review (not only this shard), for the engine's import resolution. */
  readonly files: readonly string[];
}

/** Main thread → worker: run one round over some of the shard's modules. */
export interface RoundRequest {
  readonly round: number;
  /** Summaries that changed since the worker last heard (all of them on its first round). */
  readonly summaries: readonly (readonly [string, unknown])[];
  readonly modules: readonly string[];
}

/** Worker → main thread. */
export type WorkerMessage =
  | { readonly type: 'outcome'; readonly round: number; readonly outcome: ModuleOutcome }
  | { readonly type: 'round-done'; readonly round: number }
  | { readonly type: 'fatal'; readonly message: string };
