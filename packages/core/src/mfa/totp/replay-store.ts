import { systemClock, type Clock } from '../../clock.js';

/**
 * Port for TOTP replay state: the last accepted time step per credential.
 *
 * ## Atomicity contract
 * `acceptStep(key, step, retainUntil)` must behave as one indivisible compare-and-set:
 *
 * - if no step is recorded for `key`, or the recorded step is strictly less than `step`, record `step` and resolve
 *   `true`;
 * - otherwise change nothing and resolve `false`.
 *
 * Two concurrent calls with the same `key` and `step` must never both resolve `true`: that is the whole defence
 * against a code being used twice by racing requests. Implementations must not read-then-write in two round trips.
 * Examples that meet the contract:
 *
 * - SQL: `INSERT INTO totp_last_step (key, step, retain_until) VALUES ($1, $2, $3)
 *   ON CONFLICT (key) DO UPDATE SET step = EXCLUDED.step, retain_until = EXCLUDED.retain_until
 *   WHERE totp_last_step.step < EXCLUDED.step RETURNING key` — a returned row means accepted;
 * - Redis: one Lua script (`EVAL`): `local c = redis.call('GET', KEYS[1]) if c and tonumber(c) >= tonumber(ARGV[1])
 *   then return 0 end redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2]) return 1`.
 *
 * `retainUntil` (ms since the epoch) is when the record may be forgotten: by then every step the verifier could still
 * accept is greater than `step`, so forgetting it cannot re-open a replay. A store may keep records longer, never
 * shorter. A store that cannot answer must reject (throw), never resolve `true`: verification then fails closed.
 */
export interface TotpReplayStore {
  acceptStep(key: string, step: number, retainUntil: number): Promise<boolean>;
}

/** Options of {@link MemoryTotpReplayStore}. */
export interface MemoryTotpReplayStoreOptions {
  /** Decides when records past their `retainUntil` are swept. Default: the system clock. */
  readonly clock?: Clock;
  /** Sweep expired records after this many writes. Default 1000. */
  readonly sweepEvery?: number;
}

interface Entry {
  readonly step: number;
  readonly retainUntil: number;
}

/**
 * In-process {@link TotpReplayStore} for tests and single-process deployments.
 *
 * Atomic because the compare and the write run in one synchronous turn of the event loop. It protects only the
 * process it lives in: behind a load balancer with several processes a code replayed to another process would be
 * accepted, so use a shared (SQL or Redis) store there. Memory is bounded by the number of recently active
 * credentials: expired records are swept.
 */
export class MemoryTotpReplayStore implements TotpReplayStore {
  readonly #entries = new Map<string, Entry>();
  readonly #clock: Clock;
  readonly #sweepEvery: number;
  #writes = 0;

  constructor(options: MemoryTotpReplayStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#sweepEvery = Math.max(1, Math.floor(options.sweepEvery ?? 1000));
  }

  acceptStep(key: string, step: number, retainUntil: number): Promise<boolean> {
    const current = this.#entries.get(key);
    if (current !== undefined && current.step >= step) return Promise.resolve(false);
    this.#entries.set(key, { step, retainUntil });
    this.#writes += 1;
    if (this.#writes >= this.#sweepEvery) this.#sweep();
    return Promise.resolve(true);
  }

  /** Number of records held (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  #sweep(): void {
    this.#writes = 0;
    const now = this.#clock.now();
    for (const [key, entry] of this.#entries) if (entry.retainUntil <= now) this.#entries.delete(key);
  }
}
