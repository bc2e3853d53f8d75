import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { MemoryTotpReplayStore } from './replay-store.js';
import { generateTotpSecret } from './secret.js';
import { Totp } from './totp.js';

const secret = generateTotpSecret();
// Up to year 2500, in ms.
const timestamps = fc.integer({ min: 0, max: 16_725_225_600_000 });

describe('TOTP properties', () => {
  it('generate → verify round-trips at arbitrary times, hashes and lengths', async () => {
    await fc.assert(
      fc.asyncProperty(
        timestamps,
        fc.constantFrom('SHA1' as const, 'SHA256' as const, 'SHA512' as const),
        fc.constantFrom(6 as const, 7 as const, 8 as const),
        async (now, algorithm, digits) => {
          const clock = new ManualClock(now);
          const totp = new Totp({ issuer: 'R', algorithm, digits, clock, replayStore: new MemoryTotpReplayStore({ clock }) });
          const result = await totp.verify({ subject: 's', secret, code: totp.generate(secret) });
          expect(result).toEqual({ ok: true, value: { step: Math.floor(now / 30_000) } });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('verify never throws on arbitrary input and returns a typed failure', async () => {
    const clock = new ManualClock();
    const totp = new Totp({ issuer: 'R', clock, replayStore: new MemoryTotpReplayStore({ clock }) });
    const current = new Set([-1, 0, 1].map((d) => totp.generate(secret, clock.now() + d * 30_000)));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.anything(), fc.string(), fc.stringMatching(/^[0-9 ]{0,12}$/)), async (code) => {
        const result = await totp.verify({ subject: 's', secret, code });
        if (result.ok) {
          // Only a real code from the window can succeed.
          expect(typeof code === 'string' && current.has(code.replace(/\s+/g, ''))).toBe(true);
        } else {
          expect(['malformed', 'invalid', 'replayed']).toContain(result.reason);
        }
      }),
      { numRuns: 500 },
    );
  });
});
