import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BACKUP_CODE_ALPHABET, formatBackupCode, generateBackupCode, normalizeBackupCode } from './format.js';

const canonical = fc.string({ unit: fc.constantFrom(...Array.from(BACKUP_CODE_ALPHABET)), minLength: 10, maxLength: 10 });

describe('backup code format', () => {
  it('the alphabet has 32 unambiguous symbols (50 bits per 10-symbol code)', () => {
    expect(new Set(BACKUP_CODE_ALPHABET).size).toBe(32);
    for (const ambiguous of 'ilou') expect(BACKUP_CODE_ALPHABET).not.toContain(ambiguous);
  });

  it('generated codes use every symbol and only the alphabet', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i += 1) {
      const code = generateBackupCode();
      expect(code).toMatch(/^[0-9abcdefghjkmnpqrstvwxyz]{10}$/);
      for (const c of code) seen.add(c);
    }
    expect(seen.size).toBe(32); // 2000 draws: missing a symbol has probability < 32·(31/32)^2000 ≈ 10^-26
  });

  it('property: format → normalize round-trips, also upper-cased and re-spaced', () => {
    fc.assert(
      fc.property(canonical, fc.boolean(), fc.constantFrom('-', ' ', '', ' - ', '\u2014'), (code, upper, sep) => {
        const shown = formatBackupCode(code);
        expect(shown).toMatch(/^.{5}-.{5}$/);
        expect(normalizeBackupCode(shown)).toBe(code);
        const typed = `${code.slice(0, 5)}${sep}${code.slice(5)}`;
        expect(normalizeBackupCode(upper ? typed.toUpperCase() : typed)).toBe(code);
      }),
    );
  });

  it('property: normalize never throws and yields either undefined or a canonical code', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        const out = normalizeBackupCode(input);
        expect(out === undefined || /^[0-9abcdefghjkmnpqrstvwxyz]{10}$/.test(out)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
