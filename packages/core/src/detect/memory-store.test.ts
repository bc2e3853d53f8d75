import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { ConfigurationError } from '../errors.js';
import { MemoryFirstSeenStore, MemoryWindowCounter } from './index.js';

const MINUTE = 60_000;

describe('MemoryWindowCounter: sliding windows on the injected clock', () => {
  it('counts occurrences inside the window and forgets those that slid out', () => {
    const clock = new ManualClock(0);
    const counter = new MemoryWindowCounter({ clock });
    expect(counter.hit('k', 10 * MINUTE)).toEqual({ count: 1, first: 0, last: 0 });
    clock.advance(4 * MINUTE);
    expect(counter.hit('k', 10 * MINUTE)).toEqual({ count: 2, first: 0, last: 4 * MINUTE });
    clock.advance(6 * MINUTE); // the first hit is now exactly one window old: out
    expect(counter.hit('k', 10 * MINUTE)).toEqual({ count: 2, first: 4 * MINUTE, last: 10 * MINUTE });
    clock.advance(30 * MINUTE);
    expect(counter.hit('k', 10 * MINUTE)).toEqual({ count: 1, first: 40 * MINUTE, last: 40 * MINUTE });
  });

  it('keeps keys apart', () => {
    const counter = new MemoryWindowCounter({ clock: new ManualClock(0) });
    counter.hit('a', MINUTE);
    counter.hit('a', MINUTE);
    expect(counter.hit('b', MINUTE).count).toBe(1);
  });

  it('counts distinct members in the window, refreshing a member on reuse', () => {
    const clock = new ManualClock(0);
    const counter = new MemoryWindowCounter({ clock });
    expect(counter.addDistinct('src', 'alice', MINUTE)).toEqual({ distinct: 1, added: true, first: 0, last: 0 });
    clock.advance(30_000);
    expect(counter.addDistinct('src', 'bob', MINUTE)).toMatchObject({ distinct: 2, added: true });
    clock.advance(20_000);
    expect(counter.addDistinct('src', 'alice', MINUTE)).toEqual({ distinct: 2, added: false, first: 30_000, last: 50_000 });
    clock.advance(40_000); // bob (30 s) is out, alice (50 s) is in
    expect(counter.addDistinct('src', 'carol', MINUTE)).toEqual({ distinct: 2, added: true, first: 50_000, last: 90_000 });
  });

  it('claims a key once per ttl', () => {
    const clock = new ManualClock(0);
    const counter = new MemoryWindowCounter({ clock });
    expect(counter.claim('alert', MINUTE)).toBe(true);
    clock.advance(MINUTE - 1);
    expect(counter.claim('alert', MINUTE)).toBe(false);
    expect(counter.claim('other', MINUTE)).toBe(true);
    clock.advance(1);
    expect(counter.claim('alert', MINUTE)).toBe(true);
  });

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

  it('attack: one key flooded with occurrences or members saturates at the per-key caps', () => {
    const counter = new MemoryWindowCounter({ clock: new ManualClock(0), maxHitsPerKey: 100, maxMembersPerKey: 50 });
    let hits = { count: 0 };
    let members = { distinct: 0 };
    for (let i = 0; i < 100_000; i += 1) {
      hits = counter.hit('k', MINUTE);
      members = counter.addDistinct('d', `account-${i}`, MINUTE);
    }
    expect(hits.count).toBe(100);
    expect(members.distinct).toBe(50);
  });

  it('attack: a flood of alert keys keeps the claims at their cap', () => {
    const counter = new MemoryWindowCounter({ clock: new ManualClock(0), maxClaims: 100 });
    for (let i = 0; i < 100_000; i += 1) counter.claim(`c-${i}`, MINUTE);
    expect(counter.claims).toBe(100);
  });

  it('refuses caps that are not positive integers', () => {
    expect(() => new MemoryWindowCounter({ maxKeys: 0 })).toThrow(ConfigurationError);
    expect(() => new MemoryWindowCounter({ maxHitsPerKey: 1.5 })).toThrow(ConfigurationError);
    expect(() => new MemoryWindowCounter({ maxMembersPerKey: -1 })).toThrow(ConfigurationError);
    expect(() => new MemoryFirstSeenStore({ maxValuesPerKey: Number.NaN })).toThrow(ConfigurationError);
  });
});

describe('MemoryFirstSeenStore', () => {
  it('tells whether a key had history and whether a value is new', () => {
    const store = new MemoryFirstSeenStore();
    expect(store.remember('alice', 'laptop')).toEqual({ hadHistory: false, isNew: true });
    expect(store.remember('alice', 'laptop')).toEqual({ hadHistory: true, isNew: false });
    expect(store.remember('alice', 'phone')).toEqual({ hadHistory: true, isNew: true });
    expect(store.remember('bob', 'laptop')).toEqual({ hadHistory: false, isNew: true });
  });

  it('attack: 100k fresh accounts keep the store at its cap', () => {
    const store = new MemoryFirstSeenStore({ maxKeys: 1_000 });
    for (let i = 0; i < 100_000; i += 1) store.remember(`account-${i}`, 'ua');
    expect(store.size).toBe(1_000);
  });

  it('attack: 100k fresh devices on one account keep its values at the cap, least recently used out', () => {
    const store = new MemoryFirstSeenStore({ maxValuesPerKey: 3 });
    store.remember('alice', 'laptop');
    for (let i = 0; i < 100_000; i += 1) {
      if (i % 2 === 0) store.remember('alice', 'laptop');
      store.remember('alice', `device-${i}`);
    }
    expect(store.remember('alice', 'laptop').isNew).toBe(false);
    expect(store.remember('alice', 'device-0').isNew).toBe(true);
  });
});
