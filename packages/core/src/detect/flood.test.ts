import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { MONDAY_10 } from './stream.fixtures.js';
import { bruteForceDetector, createDetectors, MemoryFirstSeenStore, MemoryWindowCounter, newDeviceDetector } from './index.js';

// Through the whole pipeline: the sink, a detector and the store (the stores alone are flooded in memory-store.test.ts).
describe('attack: floods of distinct keys keep the stores at their caps', () => {
  it('100k failed logins from 100k addresses on 100k accounts', async () => {
    const clock = new ManualClock(MONDAY_10);
    const counter = new MemoryWindowCounter({ clock });
    // Brute force alone keeps the test fast: two keys per event, 200k in all; the other detectors share the store.
    const detectors = createDetectors({ clock, counter, detectors: [bruteForceDetector()], alerts: () => undefined });
    for (let batch = 0; batch < 100; batch += 1) {
      for (let i = 0; i < 1_000; i += 1) {
        const n = batch * 1_000 + i;
        detectors({ type: 'auth.login.failed', at: new Date(clock.now()), subject: `acct-${n}`, attributes: { clientIp: `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}` } });
      }
      await detectors.idle();
    }
    expect(detectors.stats()).toMatchObject({ processed: 100_000, dropped: 0, alerts: 0 });
    expect(counter.size).toBe(10_000);
  });

  it('100k first sign-ins with 100k user agents', async () => {
    const clock = new ManualClock(MONDAY_10);
    const firstSeen = new MemoryFirstSeenStore({ maxKeys: 5_000 });
    const detectors = createDetectors({ clock, firstSeen, detectors: [newDeviceDetector()], alerts: () => undefined });
    for (let batch = 0; batch < 100; batch += 1) {
      for (let i = 0; i < 1_000; i += 1) {
        const n = batch * 1_000 + i;
        detectors({ type: 'auth.login.succeeded', at: new Date(clock.now()), subject: `acct-${n}`, attributes: { clientIp: '192.0.2.1', userAgent: `bot/${n}` } });
      }
      await detectors.idle();
    }
    expect(firstSeen.size).toBe(5_000);
  });
});

describe('attack: a steady stream that never lets the queue drain', () => {
  it('a detector emitting while inspected nests no drain and overflows no stack; the one drain keeps going', async () => {
    const clock = new ManualClock(MONDAY_10);
    let inFlight = 0;
    let maxInFlight = 0;
    // A detector that keeps the loop busy: each event it inspects sends another, so the drain never ends.
    let remaining = 20_000;
    const detectors = createDetectors({
      clock,
      maxPending: 10,
      detectors: [
        {
          name: 'echo',
          types: ['auth.login.failed'],
          inspect: (event) => {
            inFlight += 1;
            maxInFlight = Math.max(maxInFlight, inFlight);
            if (remaining > 0) {
              remaining -= 1;
              detectors(event);
            }
            inFlight -= 1;
            return undefined;
          },
        },
      ],
      alerts: () => undefined,
    });
    detectors({ type: 'auth.login.failed', at: new Date(clock.now()), subject: 'a', attributes: {} });
    await detectors.idle();
    expect(detectors.stats()).toMatchObject({ processed: 20_001, dropped: 0, failures: 0 });
    expect(maxInFlight).toBe(1);
  });
});
