import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { createSessionManager } from './manager.js';
import { MemorySessionStore } from './memory-store.js';

describe('session properties', () => {
  const sessions = createSessionManager({ store: new MemorySessionStore(), clock: new ManualClock() });

  it('validate never throws and never accepts arbitrary input', async () => {
    await sessions.create();
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (input) => {
        const result = await sessions.validate(input);
        expect(result.ok).toBe(false);
      }),
    );
  });

  it('validate never throws on id-shaped strings, and never accepts an unissued one', async () => {
    const idShaped = fc.string({ unit: fc.constantFrom(...'ABCxyz019-_+/=.é'.split('')), minLength: 40, maxLength: 46 });
    await fc.assert(
      fc.asyncProperty(idShaped, async (input) => {
        const result = await sessions.validate(input);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(['malformed', 'unknown']).toContain(result.reason);
      }),
    );
  });

  it('revoke and rotate never throw on arbitrary input', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (input) => {
        expect(await sessions.revoke(input)).toBe(false);
        expect((await sessions.rotate(input)).ok).toBe(false);
      }),
    );
  });
});
