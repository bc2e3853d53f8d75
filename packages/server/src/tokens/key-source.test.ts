import { ManualClock } from '@rampart/core';
import { JwtKeySet } from '@rampart/core/token';
import { describe, expect, it } from 'vitest';
import { ReloadingKeySet } from './key-source.js';

describe('ReloadingKeySet', () => {
  it('ATTACK: a flood of tokens with made-up kids costs one reload per interval, shared by concurrent callers', async () => {
    const clock = new ManualClock(0);
    const set = await JwtKeySet.generate();
    let loads = 0;
    const keys = await ReloadingKeySet.open({
      load: () => {
        loads += 1;
        return Promise.resolve(set);
      },
      clock,
      minUnknownKidIntervalMs: 5_000,
      onError: () => undefined,
    });
    expect(loads).toBe(1);
    await Promise.all(Array.from({ length: 50 }, () => keys.refresh()));
    expect(loads).toBe(2);
    clock.advance(4_999);
    await keys.refresh();
    expect(loads).toBe(2);
    clock.advance(1);
    await keys.refresh();
    expect(loads).toBe(3);
  });

  it('swaps in a changed set with a new generation, keeps an unchanged one, and keeps the last good set when loading fails', async () => {
    const first = await JwtKeySet.generate();
    let next: JwtKeySet | Error = first;
    const errors: unknown[] = [];
    const keys = await ReloadingKeySet.open({
      load: () => (next instanceof Error ? Promise.reject(next) : Promise.resolve(next)),
      clock: new ManualClock(0),
      minUnknownKidIntervalMs: 5_000,
      onError: (error) => errors.push(error),
    });
    const generation = keys.generation;
    expect(errors).toEqual([]);
    next = first;
    await keys.reload();
    expect(keys.generation).toBe(generation);
    const rotated = await JwtKeySet.generate();
    next = rotated;
    await keys.reload();
    expect(keys.generation).toBe(generation + 1);
    expect(keys.keys).toBe(rotated);
    next = new Error('database down');
    await keys.reload();
    expect(keys.keys).toBe(rotated);
    expect(errors).toHaveLength(1);
    next = first;
    await keys.reload();
    expect(keys.keys).toBe(first);
  });

  it('a loader that throws at once does not wedge later reloads', async () => {
    const first = await JwtKeySet.generate();
    const second = await JwtKeySet.generate();
    let mode: 'first' | 'throw' | 'second' = 'first';
    const keys = await ReloadingKeySet.open({
      load: () => {
        if (mode === 'throw') throw new Error('sync failure');
        return Promise.resolve(mode === 'first' ? first : second);
      },
      clock: new ManualClock(0),
      minUnknownKidIntervalMs: 5_000,
      onError: () => undefined,
    });
    mode = 'throw';
    await keys.reload();
    mode = 'second';
    await keys.reload();
    expect(keys.keys).toBe(second);
  });
});
