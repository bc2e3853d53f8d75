import { Secret } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { MemoryTotpReplayStore } from './replay-store.js';
import { Totp } from './totp.js';
import type { TotpAlgorithm } from './options.js';

// RFC 6238 Appendix B: the seeds are ASCII, one per hash, sized to the hash output.
const SEEDS: Record<TotpAlgorithm, string> = {
  SHA1: '12345678901234567890',
  SHA256: '12345678901234567890123456789012',
  SHA512: '1234567890123456789012345678901234567890123456789012345678901234',
};

const TIMES = [59, 1111111109, 1111111111, 1234567890, 2000000000, 20000000000];

const EXPECTED: Record<TotpAlgorithm, string[]> = {
  SHA1: ['94287082', '07081804', '14050471', '89005924', '69279037', '65353130'],
  SHA256: ['46119246', '68084774', '67062674', '91819424', '90698825', '77737706'],
  SHA512: ['90693936', '25091201', '99943326', '93441116', '38618901', '47863826'],
};

describe('TOTP: RFC 6238 Appendix B vectors', () => {
  for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
    const secret = Secret.fromLatin1(SEEDS[algorithm]).base32;

    TIMES.forEach((seconds, index) => {
      const expected = EXPECTED[algorithm][index];

      it(`${algorithm} at T=${seconds} generates and verifies ${expected}`, async () => {
        const clock = new ManualClock(seconds * 1000);
        const totp = new Totp({ issuer: 'Rampart', algorithm, digits: 8, window: 0, clock, replayStore: new MemoryTotpReplayStore({ clock }) });

        expect(totp.generate(secret, seconds * 1000)).toBe(expected);
        const result = await totp.verify({ subject: 'alice', secret, code: expected });
        expect(result).toEqual({ ok: true, value: { step: Math.floor(seconds / 30) } });
      });
    });
  }
});
