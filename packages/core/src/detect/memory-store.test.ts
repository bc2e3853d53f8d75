import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { ConfigurationError } from '../errors.js';
import { MemoryFirstSeenStore, MemoryWindowCounter } from './index.js';
import { detectStoreContract } from './store-contract.fixtures.js';

const MINUTE = 60_000;

detectStoreContract({
  name: 'memory stores',
  counter: (caps) => new MemoryWindowCounter(caps),
  firstSeen: (caps) => new MemoryFirstSeenStore(caps),
  flood: 100_000,
});

// The key caps below exist only in memory: Redis bounds its key count by TTLs and maxmemory (see redis-store.ts).
describe('MemoryWindowCounter: key caps', () => {
  it('attack: a flood of 100k distinct keys keeps the store at its cap and evicts the least recently used', () => {
    const counter = new MemoryWindowCounter({ clock: new ManualClock(0), maxKeys: 1_000 });
    counter.hit('victim', MINUTE);
    for (let i = 0; i < 100_000; i += 1) {
      if (i % 500 === 0) counter.hit('victim', MINUTE); // recently used: survives
      if (i % 2 === 0) counter.hit(`flood-${i}`, MINUTE);
      else counter.addDistinct(`flood-${i}`, `m-${i}`, MINUTE);
    }
    expect(counter.size).toBe(1_000);
    expect(counter.hit('victim', MINUTE).count).toBe(202);
    expect(counter.hit('flood-0', MINUTE).count).toBe(1); // evicted long ago: starts over
  });

  it('attack: a flood of alert keys keeps the claims at their cap', () => {
    const counter = new MemoryWindowCounter({ clock: new ManualClock(0), maxClaims: 100 });
    for (let i = 0; i < 100_000; i += 1) counter.claim(`c-${i}`, MINUTE);
    expect(counter.claims).toBe(100);
  });

  it('refuses key caps that are not positive integers', () => {
    expect(() => new MemoryWindowCounter({ maxKeys: 0 })).toThrow(ConfigurationError);
    expect(() => new MemoryWindowCounter({ maxClaims: 2.5 })).toThrow(ConfigurationError);
    expect(() => new MemoryFirstSeenStore({ maxKeys: -1 })).toThrow(ConfigurationError);
  });
});

describe('MemoryFirstSeenStore: key caps', () => {
  it('attack: 100k fresh accounts keep the store at its cap', () => {
    const store = new MemoryFirstSeenStore({ maxKeys: 1_000 });
    for (let i = 0; i < 100_000; i += 1) store.remember(`account-${i}`, 'ua');
    expect(store.size).toBe(1_000);
  });
});
