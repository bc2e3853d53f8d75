import { systemClock, type Clock } from '../clock.js';
import { ConfigurationError } from '../errors.js';
import { BoundedLru } from './lru.js';
import type { DistinctHits, FirstSeen, FirstSeenStore, WindowCounter, WindowHits } from './store.js';

export interface MemoryWindowCounterOptions {
  /** Time source of the windows. Default the system clock. */
  readonly clock?: Clock;
  /** Counter keys kept (occurrence and distinct keys together), least recently used evicted. Default 10 000. */
  readonly maxKeys?: number;
  /** Occurrences kept per key; counts saturate here. Default 1 000. */
  readonly maxHitsPerKey?: number;
  /** Distinct members kept per key; distinct counts saturate here. Default 1 000. */
  readonly maxMembersPerKey?: number;
  /** Alert claims kept, apart from the counters so a flood of counter keys cannot evict them. Default 10 000. */
  readonly maxClaims?: number;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result < 1) throw new ConfigurationError(`${name} must be a positive integer`);
  return result;
}

interface HitsEntry {
  readonly kind: 'hits';
  readonly times: number[];
}

interface DistinctEntry {
  readonly kind: 'distinct';
  /** Member → last time, least recently seen first. */
  readonly members: BoundedLru<number>;
}

/**
 * In-memory {@link WindowCounter} for one process and for tests. Protects the detectors against memory exhaustion by
 * an attacker who rotates keys or members: keys, occurrences per key, members per key and claims are all capped.
 */
export class MemoryWindowCounter implements WindowCounter {
  readonly #clock: Clock;
  readonly #entries: BoundedLru<HitsEntry | DistinctEntry>;
  readonly #claims: BoundedLru<number>;
  readonly #maxHits: number;
  readonly #maxMembers: number;

  constructor(options: MemoryWindowCounterOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#entries = new BoundedLru(positiveInteger('maxKeys', options.maxKeys, 10_000));
    this.#claims = new BoundedLru(positiveInteger('maxClaims', options.maxClaims, 10_000));
    this.#maxHits = positiveInteger('maxHitsPerKey', options.maxHitsPerKey, 1_000);
    this.#maxMembers = positiveInteger('maxMembersPerKey', options.maxMembersPerKey, 1_000);
  }

  /** Counter keys currently held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Claims currently held. */
  get claims(): number {
    return this.#claims.size;
  }

  hit(key: string, windowMs: number): WindowHits {
    const now = this.#clock.now();
    const cutoff = now - windowMs;
    const existing = this.#entries.get(`h:${key}`);
    const entry: HitsEntry = existing?.kind === 'hits' ? existing : { kind: 'hits', times: [] };
    const times = entry.times;
    let expired = 0;
    while (expired < times.length && (times[expired] ?? now) <= cutoff) expired += 1;
    if (expired > 0) times.splice(0, expired);
    times.push(now);
    if (times.length > this.#maxHits) times.splice(0, times.length - this.#maxHits);
    this.#entries.set(`h:${key}`, entry);
    return { count: times.length, first: times[0] ?? now, last: now };
  }

  addDistinct(key: string, member: string, windowMs: number): DistinctHits {
    const now = this.#clock.now();
    const cutoff = now - windowMs;
    const existing = this.#entries.get(`d:${key}`);
    const entry: DistinctEntry = existing?.kind === 'distinct' ? existing : { kind: 'distinct', members: new BoundedLru(this.#maxMembers) };
    const members = entry.members;
    for (let oldest = members.oldest(); oldest !== undefined && oldest.value <= cutoff; oldest = members.oldest()) members.delete(oldest.key);
    const added = !members.has(member);
    members.set(member, now);
    this.#entries.set(`d:${key}`, entry);
    return { distinct: members.size, added, first: members.oldest()?.value ?? now, last: now };
  }

  claim(key: string, ttlMs: number): boolean {
    const now = this.#clock.now();
    const until = this.#claims.get(key);
    if (until !== undefined && until > now) return false;
    this.#claims.set(key, now + ttlMs);
    return true;
  }
}

export interface MemoryFirstSeenStoreOptions {
  /** Accounts remembered, least recently used evicted. Default 10 000. */
  readonly maxKeys?: number;
  /** Values (devices, countries) remembered per account, least recently used evicted. Default 20. */
  readonly maxValuesPerKey?: number;
}

/**
 * In-memory {@link FirstSeenStore}. Protects against memory exhaustion by fresh device strings or account names: both
 * the accounts and the values per account are capped.
 */
export class MemoryFirstSeenStore implements FirstSeenStore {
  readonly #keys: BoundedLru<BoundedLru<true>>;
  readonly #maxValues: number;

  constructor(options: MemoryFirstSeenStoreOptions = {}) {
    this.#keys = new BoundedLru(positiveInteger('maxKeys', options.maxKeys, 10_000));
    this.#maxValues = positiveInteger('maxValuesPerKey', options.maxValuesPerKey, 20);
  }

  /** Accounts currently remembered. */
  get size(): number {
    return this.#keys.size;
  }

  remember(key: string, value: string): FirstSeen {
    const existing = this.#keys.get(key);
    const values = existing ?? new BoundedLru<true>(this.#maxValues);
    const isNew = values.get(value) === undefined;
    values.set(value, true);
    if (existing === undefined) this.#keys.set(key, values);
    return { hadHistory: existing !== undefined && existing.size > 0, isNew };
  }
}
