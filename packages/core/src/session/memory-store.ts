import { ConfigurationError } from '../errors.js';
import type { InsertOptions, InsertOutcome, SessionStore } from './store.js';
import type { SessionRecord } from './types.js';

export interface MemorySessionStoreOptions {
  /**
   * Upper bound on records held (live sessions and tombstones). Anonymous sessions can be created by anyone, so an
   * unbounded map is a memory-exhaustion hole. At the bound, expired records and tombstones are dropped; if that frees
   * nothing, inserts are refused. Default 100 000.
   */
  readonly maxRecords?: number;
}

function isLive(record: SessionRecord, now: number): boolean {
  return record.revokedAt === undefined && now < record.idleExpiresAt && now < record.absoluteExpiresAt;
}

function isExpired(record: SessionRecord, now: number): boolean {
  return now >= record.idleExpiresAt || now >= record.absoluteExpiresAt;
}

/**
 * In-process {@link SessionStore} for tests, development and single-process deployments.
 *
 * Protects the store contract's atomicity without locks: every method runs to completion synchronously before its
 * promise resolves, so no other call can interleave between a check (the user's live-session count) and the write
 * that depends on it (the insert).
 */
export class MemorySessionStore implements SessionStore {
  readonly #records = new Map<string, SessionRecord>();
  readonly #byUser = new Map<string, Set<string>>();
  readonly #maxRecords: number;
  #lastFullSweep = Number.NEGATIVE_INFINITY;

  constructor(options: MemorySessionStoreOptions = {}) {
    const maxRecords = options.maxRecords ?? 100_000;
    if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) throw new ConfigurationError('maxRecords must be a positive integer');
    this.#maxRecords = maxRecords;
  }

  /** Number of records held, tombstones included. */
  get size(): number {
    return this.#records.size;
  }

  get(key: string): Promise<SessionRecord | undefined> {
    return Promise.resolve(this.#records.get(key));
  }

  insert(record: SessionRecord, options: InsertOptions): Promise<InsertOutcome> {
    return Promise.resolve(this.#insert(record, options));
  }

  #insert(record: SessionRecord, { now, replaces, limit }: InsertOptions): InsertOutcome {
    // A 256-bit id colliding is not a real event; refusing keeps an existing session from being overwritten regardless.
    if (this.#records.has(record.key)) return { inserted: false, reason: 'capacity' };
    let old: SessionRecord | undefined;
    if (replaces !== undefined) {
      old = this.#records.get(replaces);
      if (old === undefined || old.revokedAt !== undefined) return { inserted: false, reason: 'stale' };
    }
    if (this.#records.size >= this.#maxRecords) {
      // A full sweep is O(records); at most one per second, so a flood of creations at capacity cannot buy one each.
      if (now - this.#lastFullSweep >= 1000) {
        this.#lastFullSweep = now;
        this.#drop(now, true);
      }
      if (this.#records.size >= this.#maxRecords) return { inserted: false, reason: 'capacity' };
    }

    let toEvict: SessionRecord[] = [];
    if (record.userId !== undefined && limit !== undefined) {
      const live = this.#userRecords(record.userId, now).filter((r) => r.key !== replaces && isLive(r, now));
      const excess = live.length + 1 - limit.max;
      if (excess > 0) {
        if (limit.policy === 'refuse-new') return { inserted: false, reason: 'limit' };
        toEvict = live.sort((a, b) => a.createdAt - b.createdAt).slice(0, excess);
      }
    }

    // Every check has passed: from here on, only writes.
    const evicted = toEvict.map((r) => this.#tombstone(r, now));
    if (old !== undefined) this.#tombstone(old, now);
    this.#records.set(record.key, Object.freeze({ ...record }));
    if (record.userId !== undefined) this.#index(record.userId).add(record.key);
    return { inserted: true, evicted };
  }

  touch(key: string, lastSeenAt: number, idleExpiresAt: number): Promise<boolean> {
    const record = this.#records.get(key);
    if (record === undefined || record.revokedAt !== undefined) return Promise.resolve(false);
    this.#records.set(
      key,
      Object.freeze({
        ...record,
        lastSeenAt: Math.max(record.lastSeenAt, lastSeenAt),
        idleExpiresAt: Math.min(record.absoluteExpiresAt, Math.max(record.idleExpiresAt, idleExpiresAt)),
      }),
    );
    return Promise.resolve(true);
  }

  revoke(key: string, at: number): Promise<SessionRecord | undefined> {
    const record = this.#records.get(key);
    if (record === undefined || record.revokedAt !== undefined) return Promise.resolve(undefined);
    this.#tombstone(record, at);
    return Promise.resolve(record);
  }

  revokeUser(userId: string, at: number, exceptKey?: string): Promise<readonly SessionRecord[]> {
    const revoked: SessionRecord[] = [];
    for (const record of this.#userRecords(userId, at)) {
      if (record.key === exceptKey || record.revokedAt !== undefined) continue;
      this.#tombstone(record, at);
      revoked.push(record);
    }
    return Promise.resolve(revoked);
  }

  listUser(userId: string): Promise<readonly SessionRecord[]> {
    const keys = this.#byUser.get(userId);
    const out: SessionRecord[] = [];
    if (keys !== undefined) {
      for (const key of keys) {
        const record = this.#records.get(key);
        if (record !== undefined) out.push(record);
      }
    }
    return Promise.resolve(out);
  }

  deleteExpired(now: number): Promise<number> {
    return Promise.resolve(this.#drop(now, false));
  }

  #tombstone(record: SessionRecord, at: number): SessionRecord {
    this.#records.set(record.key, Object.freeze({ ...record, revokedAt: at }));
    return record;
  }

  #index(userId: string): Set<string> {
    let keys = this.#byUser.get(userId);
    if (keys === undefined) {
      keys = new Set();
      this.#byUser.set(userId, keys);
    }
    return keys;
  }

  /** The user's records, dropping expired ones from the index on the way so it cannot grow without bound. */
  #userRecords(userId: string, now: number): SessionRecord[] {
    const keys = this.#byUser.get(userId);
    if (keys === undefined) return [];
    const out: SessionRecord[] = [];
    for (const key of keys) {
      const record = this.#records.get(key);
      if (record === undefined || isExpired(record, now)) {
        this.#delete(key, userId);
        continue;
      }
      out.push(record);
    }
    return out;
  }

  #delete(key: string, userId: string | undefined): void {
    this.#records.delete(key);
    if (userId === undefined) return;
    const keys = this.#byUser.get(userId);
    keys?.delete(key);
    if (keys?.size === 0) this.#byUser.delete(userId);
  }

  #drop(now: number, includeTombstones: boolean): number {
    let dropped = 0;
    for (const [key, record] of this.#records) {
      if (isExpired(record, now) || (includeTombstones && record.revokedAt !== undefined)) {
        this.#delete(key, record.userId);
        dropped++;
      }
    }
    return dropped;
  }
}
