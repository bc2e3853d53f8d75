import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { BASE62_ALPHABET, base62, base62Bytes } from './base62.js';
import { crc32 } from './crc32.js';
import { formatApiKey, generateApiKeyParts, parseApiKey } from './format.js';

const base62Char = fc.constantFrom(...BASE62_ALPHABET.split(''));
const parts = fc.record({
  prefix: fc.stringMatching(/^[a-z][a-z0-9]{1,9}$/),
  id: fc.string({ unit: base62Char, minLength: 22, maxLength: 22 }),
  secret: fc.string({ unit: base62Char, minLength: 43, maxLength: 43 }),
});

describe('crc32', () => {
  it('matches the standard check values (CRC-32/ISO-HDLC)', () => {
    expect(crc32('')).toBe(0);
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(crc32('The quick brown fox jumps over the lazy dog')).toBe(0x414fa339);
    expect(crc32('a')).toBe(0xe8b7be43);
  });
});

describe('base62', () => {
  it('encodes fixed-width and keeps every bit of 32 random bytes', () => {
    expect(base62(0n, 3)).toBe('000');
    expect(base62(61n, 2)).toBe('0z');
    expect(base62(62n, 2)).toBe('10');
    expect(() => base62(62n ** 6n, 6)).toThrow(RangeError);
    expect(base62Bytes(new Uint8Array(32).fill(0xff), 43)).toHaveLength(43);
    expect(base62Bytes(new Uint8Array(16).fill(0xff), 22)).toHaveLength(22);
  });
});

describe('API key format', () => {
  it('generates <prefix>_<id>_<secret><checksum> with a 256-bit secret', () => {
    const key = formatApiKey(generateApiKeyParts('rpk'));
    expect(key).toMatch(/^rpk_[0-9A-Za-z]{22}_[0-9A-Za-z]{49}$/);
    expect(generateApiKeyParts().secret).not.toBe(generateApiKeyParts().secret);
  });

  it('round-trips encode → parse (property)', () => {
    fc.assert(
      fc.property(parts, (p) => {
        expect(parseApiKey(formatApiKey(p), p.prefix)).toEqual({ ok: true, value: p });
      }),
      { numRuns: 500 },
    );
  });

  it('attack: any single-character change is caught by the checksum or the pattern (property)', () => {
    fc.assert(
      fc.property(parts, fc.nat(), fc.constantFrom(...`${BASE62_ALPHABET}_-. `.split('')), (p, at, replacement) => {
        const key = formatApiKey(p);
        const index = at % key.length;
        fc.pre(key[index] !== replacement);
        const tampered = key.slice(0, index) + replacement + key.slice(index + 1);
        const result = parseApiKey(tampered, p.prefix);
        expect(result.ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary input and returns a typed failure (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom(...`${BASE62_ALPHABET}_`.split('')), maxLength: 90 }), fc.anything()), (value) => {
        const result = parseApiKey(value, 'rpk');
        expect(result.ok).toBe(false);
        expect(['malformed', 'bad_checksum']).toContain(result.ok ? '' : result.reason);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses a key of another prefix and unsafe prefixes', () => {
    const key = formatApiKey(generateApiKeyParts('other'));
    expect(parseApiKey(key, 'rpk')).toEqual({ ok: false, reason: 'malformed' });
    expect(parseApiKey(key).ok).toBe(true);
    for (const prefix of ['', 'a', 'RPK', 'rp_k', '1rpk', 'abcdefghijk', 'rp-k']) {
      expect(() => generateApiKeyParts(prefix)).toThrow(ConfigurationError);
    }
  });
});
