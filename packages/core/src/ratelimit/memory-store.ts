import { systemClock, type Clock } from '../clock.js';
import { ConfigurationError } from '../errors.js';
import { backoffConsume, gcraConsume, slideWindow, windowConsume, type BackoffState, type GcraState, type WindowState } from './algorithms.js';
import { backoffMs, checkCost, checkPolicy, policyMs, type RateDecision, type RatePolicy } from './policy.js';
import type { RateLimitStore } from './store.js';

export interface MemoryRateLimitStoreOptions {
  /** Most keys held at once; the least recently used is forgotten beyond it. Default 100 000. */
  readonly maxKeys?: number;
  readonly clock?: Clock;
}

type State = GcraState | WindowState | BackoffState;

interface Entry {
  readonly policy: RatePolicy;
  readonly state: State;
  /** The operation at which the entry last moved to the recent end of the eviction order. */
  touched: number;
}

/**
 * In-process {@link RateLimitStore}: synchronous, so check-and-update is atomic within the process (no `await`
 * between reading a counter and writing it), and the guard chain stays synchronous.
 *
 * Protects memory against a flood of distinct keys (random addresses, random API keys): it holds at most `maxKeys`
 * keys and forgets the least recently used one beyond that. The trade-off, stated plainly: an attacker who can
 * create more than `maxKeys` distinct keys between two requests of a victim key makes that key forget its counter.
 * Size `maxKeys` above the number of clients active within one period, key clients by something they cannot mint
 * freely (the /64 of an IPv6 address, a verified principal), and use Redis across processes. Each process counts
 * separately: N processes with a memory store admit up to N × limit.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  // Map iteration order is insertion order: re-inserting a key when it is touched keeps the least recently used key
  // first, so eviction is O(1) without a linked list. A key is moved only once `#promoteAfter` other operations have
  // happened since its last move (lazy promotion, as CLOCK caches do): a hot key then costs a lookup, not a delete and
  // an insert per request, and it can still only be forgotten after `maxKeys − #promoteAfter` newer keys. With
  // `maxKeys` below 8 every touch moves the key: exact LRU.
  readonly #entries = new Map<string, Entry>();
  readonly #maxKeys: number;
  readonly #promoteAfter: number;
  readonly #clock: Clock;
  #operations = 0;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.#maxKeys = options.maxKeys ?? 100_000;
    this.#clock = options.clock ?? systemClock;
    if (!Number.isSafeInteger(this.#maxKeys) || this.#maxKeys < 1) throw new ConfigurationError('maxKeys must be a positive integer');
    this.#promoteAfter = Math.max(1, Math.floor(this.#maxKeys / 8));
  }

  /** Keys currently held. */
  get size(): number {
    return this.#entries.size;
  }

  consume(key: string, cost: number, policy: RatePolicy): RateDecision {
    checkPolicy(policy);
    checkCost(cost);
    const now = Math.floor(this.#clock.now());
    const operation = (this.#operations += 1);
    const entries = this.#entries;
    let entry = entries.get(key);
    // One key under two different policies would mix units: the later policy starts afresh for that key.
    if (entry !== undefined && entry.policy !== policy && !samePolicy(entry.policy, policy)) entry = undefined;
    let decision: RateDecision;
    let state: State | undefined;
    if (policy.algorithm === 'gcra') {
      const result = gcraConsume(entry?.state as GcraState | undefined, now, cost, policy.limit, policyMs(policy));
      decision = result.decision;
      // A key that has nothing recorded is not kept: refused first requests must not fill the store.
      state = result.next ?? entry?.state;
    } else if (policy.algorithm === 'sliding-window') {
      const window = slideWindow(entry?.state as WindowState | undefined, now, policyMs(policy));
      decision = windowConsume(window, now, cost, policy.limit, policyMs(policy));
      if (window.current > 0 || window.previous > 0) state = window;
    } else {
      const result = backoffConsume(entry?.state as BackoffState | undefined, now, cost, backoffMs(policy));
      decision = result.decision;
      state = result.next;
    }
    if (state === undefined) {
      entries.delete(key);
    } else if (entry !== undefined && entry.state === state) {
      // Updated in place: only its place in the eviction order may need refreshing.
      if (operation - entry.touched >= this.#promoteAfter) {
        entries.delete(key);
        entry.touched = operation;
        entries.set(key, entry);
      }
    } else {
      entries.delete(key);
      entries.set(key, { policy, state, touched: operation });
      if (entries.size > this.#maxKeys) {
        const oldest = entries.keys().next();
        if (oldest.done !== true) entries.delete(oldest.value);
      }
    }
    return decision;
  }

  reset(key: string): void {
    this.#entries.delete(key);
  }
}

function samePolicy(a: RatePolicy, b: RatePolicy): boolean {
  if (a.algorithm !== b.algorithm || a.limit !== b.limit || policyMs(a) !== policyMs(b)) return false;
  if (a.algorithm !== 'backoff' || b.algorithm !== 'backoff') return true;
  const x = backoffMs(a);
  const y = backoffMs(b);
  return x.free === y.free && x.lockMs === y.lockMs && x.delaysMs.join() === y.delaysMs.join();
}
