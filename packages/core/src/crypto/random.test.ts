import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { constantTimeEqual, constantTimeEqualString } from './compare.js';
import { randomToken } from './random.js';

describe('randomToken', () => {
  it('gives 256 bits, base64url without padding, by default', () => {
    const token = randomToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('never repeats across many draws (a broken RNG would)', () => {
    const seen = new Set(Array.from({ length: 5000 }, () => randomToken()));
    expect(seen.size).toBe(5000);
  });

  it('refuses less than 128 bits, so a caller cannot ask for a guessable token', () => {
    expect(() => randomToken(8)).toThrow(ConfigurationError);
    expect(() => randomToken(15)).toThrow(ConfigurationError);
    expect(() => randomToken(1.5)).toThrow(ConfigurationError);
  });
});

describe('constant-time comparison', () => {
  it('is equality for strings and bytes', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(constantTimeEqualString(a, b)).toBe(a === b);
        expect(constantTimeEqualString(a, a)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array(), fc.uint8Array(), (a, b) => {
        expect(constantTimeEqual(a, b)).toBe(Buffer.from(a).equals(Buffer.from(b)));
      }),
    );
  });

  it('compares inputs of different lengths without throwing (timingSafeEqual alone would throw and leak length)', () => {
    expect(constantTimeEqualString('secret', 'secret-but-longer')).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(64))).toBe(false);
  });

  it('returns false for non-string input from untrusted JSON instead of throwing', () => {
    expect(constantTimeEqualString({} as unknown as string, 'x')).toBe(false);
    expect(constantTimeEqualString('x', null as unknown as string)).toBe(false);
  });
});
