import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { ConfigurationError } from '../errors.js';
import type { FirstSeenStore, WindowCounter } from './store.js';

const MINUTE = 60_000;

/** Caps a contract case sets; the rest stay at the store's defaults. */
export interface CounterCaps {
  readonly clock: ManualClock;
  readonly maxHitsPerKey?: number;
  readonly maxMembersPerKey?: number;
}

/** One implementation of the detector ports, as the contract builds it. */
export interface StoresUnderTest {
  /** Shown in the test names, with the reason when skipped. */
  readonly name: string;
  readonly skip?: boolean;
  /** A fresh counter on the given clock, sharing no state with earlier ones. */
  counter(caps: CounterCaps): WindowCounter;
  /** A fresh store, sharing no state with earlier ones. */
  firstSeen(caps: { readonly maxValuesPerKey?: number }): FirstSeenStore;
  /** Calls per flood case: far above the caps used, fewer where each call is a network round trip. */
  readonly flood: number;
}

/**
 * What the detectors rely on from every {@link WindowCounter} and {@link FirstSeenStore}: the same answers for the same
 * calls, whichever store holds the state.
 */
export function detectStoreContract(stores: StoresUnderTest): void {
  describe.skipIf(stores.skip === true)(`${stores.name}: WindowCounter contract, sliding windows on the injected clock`, () => {
    it('counts occurrences inside the window and forgets those that slid out', async () => {
      const clock = new ManualClock(0);
      const counter = stores.counter({ clock });
      expect(await counter.hit('k', 10 * MINUTE)).toEqual({ count: 1, first: 0, last: 0 });
      clock.advance(4 * MINUTE);
      expect(await counter.hit('k', 10 * MINUTE)).toEqual({ count: 2, first: 0, last: 4 * MINUTE });
      clock.advance(6 * MINUTE); // the first hit is now exactly one window old: out
      expect(await counter.hit('k', 10 * MINUTE)).toEqual({ count: 2, first: 4 * MINUTE, last: 10 * MINUTE });
      clock.advance(30 * MINUTE);
      expect(await counter.hit('k', 10 * MINUTE)).toEqual({ count: 1, first: 40 * MINUTE, last: 40 * MINUTE });
    });

    it('counts occurrences in the same millisecond one by one', async () => {
      const counter = stores.counter({ clock: new ManualClock(5) });
      for (let i = 1; i <= 3; i += 1) expect(await counter.hit('k', MINUTE)).toEqual({ count: i, first: 5, last: 5 });
    });

    it('keeps keys apart, and occurrences, members and claims of one key apart', async () => {
      const counter = stores.counter({ clock: new ManualClock(0) });
      await counter.hit('a', MINUTE);
      await counter.hit('a', MINUTE);
      expect((await counter.hit('b', MINUTE)).count).toBe(1);
      expect(await counter.addDistinct('a', 'x', MINUTE)).toMatchObject({ distinct: 1, added: true });
      expect(await counter.claim('a', MINUTE)).toBe(true);
      expect((await counter.hit('a', MINUTE)).count).toBe(3);
    });

    it('counts distinct members in the window, refreshing a member on reuse', async () => {
      const clock = new ManualClock(0);
      const counter = stores.counter({ clock });
      expect(await counter.addDistinct('src', 'alice', MINUTE)).toEqual({ distinct: 1, added: true, first: 0, last: 0 });
      clock.advance(30_000);
      expect(await counter.addDistinct('src', 'bob', MINUTE)).toMatchObject({ distinct: 2, added: true });
      clock.advance(20_000);
      expect(await counter.addDistinct('src', 'alice', MINUTE)).toEqual({ distinct: 2, added: false, first: 30_000, last: 50_000 });
      clock.advance(40_000); // bob (30 s) is out, alice (50 s) is in
      expect(await counter.addDistinct('src', 'carol', MINUTE)).toEqual({ distinct: 2, added: true, first: 50_000, last: 90_000 });
    });

    it('at the member cap, the least recently seen member leaves first, also among members of one millisecond', async () => {
      const counter = stores.counter({ clock: new ManualClock(0), maxMembersPerKey: 2 });
      await counter.addDistinct('d', 'a', MINUTE);
      await counter.addDistinct('d', 'b', MINUTE);
      await counter.addDistinct('d', 'a', MINUTE); // a is now the most recent (and first by name: order by name would drop it)
      expect(await counter.addDistinct('d', 'c', MINUTE)).toMatchObject({ distinct: 2, added: true }); // b leaves
      expect(await counter.addDistinct('d', 'a', MINUTE)).toMatchObject({ distinct: 2, added: false });
      expect(await counter.addDistinct('d', 'b', MINUTE)).toMatchObject({ distinct: 2, added: true });
    });

    it('claims a key once per ttl', async () => {
      const clock = new ManualClock(0);
      const counter = stores.counter({ clock });
      expect(await counter.claim('alert', MINUTE)).toBe(true);
      clock.advance(MINUTE - 1);
      expect(await counter.claim('alert', MINUTE)).toBe(false);
      expect(await counter.claim('other', MINUTE)).toBe(true);
      clock.advance(1);
      expect(await counter.claim('alert', MINUTE)).toBe(true);
    });

    it(`attack: one key flooded with ${stores.flood} occurrences and members saturates at the per-key caps`, async () => {
      const clock = new ManualClock(0);
      const counter = stores.counter({ clock, maxHitsPerKey: 100, maxMembersPerKey: 50 });
      let hits = { count: 0, first: -1 };
      let members = { distinct: 0, added: false };
      for (let i = 0; i < stores.flood; i += 1) {
        clock.advance(1);
        hits = await counter.hit('k', MINUTE);
        members = await counter.addDistinct('d', `account-${i}`, MINUTE);
      }
      expect(hits).toMatchObject({ count: 100, first: stores.flood - 99 });
      expect(members).toMatchObject({ distinct: 50, added: true });
      // The cap keeps the last 50 members: the 51st from the end was pushed out, the last one is still in.
      expect(await counter.addDistinct('d', `account-${stores.flood - 51}`, MINUTE)).toMatchObject({ distinct: 50, added: true });
      expect(await counter.addDistinct('d', `account-${stores.flood - 1}`, MINUTE)).toMatchObject({ distinct: 50, added: false });
    });

    it('refuses caps that are not positive integers', () => {
      const clock = new ManualClock(0);
      expect(() => stores.counter({ clock, maxHitsPerKey: 1.5 })).toThrow(ConfigurationError);
      expect(() => stores.counter({ clock, maxMembersPerKey: -1 })).toThrow(ConfigurationError);
      expect(() => stores.counter({ clock, maxHitsPerKey: 0 })).toThrow(ConfigurationError);
      expect(() => stores.firstSeen({ maxValuesPerKey: Number.NaN })).toThrow(ConfigurationError);
    });
  });

  describe.skipIf(stores.skip === true)(`${stores.name}: FirstSeenStore contract`, () => {
    it('tells whether a key had history and whether a value is new', async () => {
      const store = stores.firstSeen({});
      expect(await store.remember('alice', 'laptop')).toEqual({ hadHistory: false, isNew: true });
      expect(await store.remember('alice', 'laptop')).toEqual({ hadHistory: true, isNew: false });
      expect(await store.remember('alice', 'phone')).toEqual({ hadHistory: true, isNew: true });
      expect(await store.remember('bob', 'laptop')).toEqual({ hadHistory: false, isNew: true });
    });

    it(`attack: ${stores.flood} fresh devices on one account keep its values at the cap, least recently used out`, async () => {
      const store = stores.firstSeen({ maxValuesPerKey: 3 });
      await store.remember('alice', 'laptop');
      for (let i = 0; i < stores.flood; i += 1) {
        if (i % 2 === 0) await store.remember('alice', 'laptop');
        await store.remember('alice', `device-${i}`);
      }
      expect((await store.remember('alice', 'laptop')).isNew).toBe(false);
      expect((await store.remember('alice', 'device-0')).isNew).toBe(true);
    });
  });
}
