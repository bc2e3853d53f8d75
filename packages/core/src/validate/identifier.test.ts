import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { UNICODE_CONFUSABLES_VERSION } from './confusables-data.js';
import { confusablesFromEntries, skeleton, unicodeConfusables } from './confusables.js';
import { identifierProfile, normalizeIdentifier } from './identifier.js';
import { knownScriptNames, meetsRestrictionLevel } from './scripts.js';
import { readStringCorpus } from './testing.fixtures.js';

/**
 * A few mappings of Unicode's confusables.txt (source ; prototype), enough to exercise the skeleton algorithm; the
 * real data is plugged in through the same port.
 */
const CONFUSABLES_SAMPLE = confusablesFromEntries([
  ['\u0430', 'a'], // CYRILLIC SMALL LETTER A → LATIN SMALL LETTER A
  ['\u0440', 'p'], // CYRILLIC SMALL LETTER ER → LATIN SMALL LETTER P
  ['\u0443', 'y'], // CYRILLIC SMALL LETTER U → LATIN SMALL LETTER Y
  ['\u043e', 'o'], // CYRILLIC SMALL LETTER O → LATIN SMALL LETTER O
  ['\u0441', 'c'], // CYRILLIC SMALL LETTER ES → LATIN SMALL LETTER C
  ['\u0031', 'l'], // DIGIT ONE → LATIN SMALL LETTER L
  ['\u0049', 'l'], // LATIN CAPITAL LETTER I → LATIN SMALL LETTER L
]);

describe('identifier profile: attacks', () => {
  it('attack: every look-alike user name in the corpus is refused', () => {
    const names = readStringCorpus('homoglyph-identifiers.txt');
    expect(names.length).toBeGreaterThan(30);
    for (const name of names) {
      const result = normalizeIdentifier(name);
      expect(result.ok, JSON.stringify(name)).toBe(false);
    }
  });

  it('attack: раураl (Cyrillic with a Latin l) is refused as mixed-script, and the genuine paypal passes', () => {
    expect(normalizeIdentifier('\u0440\u0430\u0443\u0440\u0430l')).toEqual({ ok: false, reason: 'mixed_script' });
    expect(normalizeIdentifier('paypal')).toEqual({ ok: true, value: 'paypal' });
  });

  it('attack: zero-width joiners, bidi overrides and controls are refused with their own reason', () => {
    expect(normalizeIdentifier('ad\u200Dmin')).toEqual({ ok: false, reason: 'invisible_character' });
    expect(normalizeIdentifier('ad\u200Bmin')).toEqual({ ok: false, reason: 'invisible_character' });
    expect(normalizeIdentifier('admin\u202Egnp.exe')).toEqual({ ok: false, reason: 'bidi_control' });
    expect(normalizeIdentifier('\u2067admin')).toEqual({ ok: false, reason: 'bidi_control' });
    expect(normalizeIdentifier('admin\u0007')).toEqual({ ok: false, reason: 'control_character' });
    expect(normalizeIdentifier('ad min')).toEqual({ ok: false, reason: 'whitespace' });
    expect(normalizeIdentifier('user1\u0661')).toEqual({ ok: false, reason: 'mixed_digits' });
    expect(normalizeIdentifier('\uD800admin')).toEqual({ ok: false, reason: 'malformed_unicode' });
  });

  it('attack: fullwidth, mathematical and case variants of admin all normalize to admin, so they collide with it', () => {
    const variants = readStringCorpus('admin-variants.txt');
    expect(variants.length).toBeGreaterThan(10);
    for (const variant of variants) expect(normalizeIdentifier(variant), JSON.stringify(variant)).toEqual({ ok: true, value: 'admin' });
  });

  it('attack: with confusables data, whole-script look-alikes get the same comparison key', () => {
    const profile = identifierProfile({ confusables: CONFUSABLES_SAMPLE });
    // All-Cyrillic "рау" is single-script, so the script rules alone let it through; the skeleton catches it.
    expect(normalizeIdentifier('\u0440\u0430\u0443')).toEqual({ ok: true, value: '\u0440\u0430\u0443' });
    expect(profile.equivalent('\u0440\u0430\u0443', 'pay')).toBe(true);
    expect(profile.equivalent('\u0441\u043e\u0440', 'COP')).toBe(true);
    expect(profile.equivalent('paypa1', 'paypal')).toBe(true);
    expect(profile.equivalent('paypal', 'paypol')).toBe(false);
    expect(profile.comparisonKey('\u0440\u0430\u0443')).toEqual({ ok: true, value: 'pay' });
    // Without the data (named loosening), the key is the canonical form and the whole-script spoof stays distinct.
    expect(identifierProfile({ confusables: false }).equivalent('\u0440\u0430\u0443', 'pay')).toBe(false);
    expect(profile.equivalent('ad\u200Dmin', 'admin')).toBe(false);
  });
});

describe('identifier profile: the bundled Unicode confusables data', () => {
  const profile = identifierProfile();

  it('attack: by default, whole-script look-alikes share a comparison key with the Latin name they imitate', () => {
    const spoofs: [string, string][] = [
      ['\u0440\u0430\u0443', 'pay'], // Cyrillic er, a, u
      ['\u0441\u043e\u0440\u0435', 'cope'], // Cyrillic es, o, er, ie
      ['\u0455\u0441\u043e\u0440\u0435', 'scope'], // Cyrillic dze (ѕ) for s
      ['\u0430\u0440\u0440\u0435\u0430\u0455', 'appeas'], // Cyrillic a, er, er, ie, a, dze
      ['\u03bf\u03c1\u03b5\u03bd', 'open'], // Greek omicron, rho, epsilon, nu: ε and ν are not confusable with e and n
      ['paypa1', 'paypal'], // digit one for l
      ['rnicrosoft', 'microsoft'], // r + n for m
      ['g00gle', 'google'], // digit zero for o
    ];
    const collisions = spoofs.filter(([spoof, genuine]) => profile.equivalent(spoof, genuine));
    // Every pair above but the Greek one is confusable by Unicode's data, and collides.
    expect(collisions.map(([spoof]) => spoof)).toEqual(spoofs.filter(([, genuine]) => genuine !== 'open').map(([spoof]) => spoof));
    expect(profile.equivalent('paypal', 'paypol')).toBe(false);
    expect(profile.equivalent('alice', 'bob')).toBe(false);
  });

  it('the bundled data maps code points to their prototypes and is parsed once', () => {
    const data = unicodeConfusables();
    expect(data.prototypeOf(0x0430)).toBe('a');
    expect(data.prototypeOf(0x0031)).toBe('l');
    expect(data.prototypeOf(0x006d)).toBe('rn'); // m's prototype is r n, so rnicrosoft meets microsoft
    expect(data.prototypeOf(0x0070)).toBeUndefined(); // p is its own prototype
    expect(UNICODE_CONFUSABLES_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(unicodeConfusables()).toBe(data); // parsed once
  });
});

describe('identifier profile: genuine names', () => {
  it('accepts single-script names in many scripts, and the CJK mixes UTS #39 allows', () => {
    for (const [input, canonical] of [
      ['José', 'josé'],
      ['Müller', 'müller'],
      ["o'brien-smith_2", "o'brien-smith_2"],
      ['Αθήνα', 'αθήνα'],
      ['Москва', 'москва'],
      ['東京', '東京'],
      ['tokyo東京', 'tokyo東京'],
      ['とうきょう東京', 'とうきょう東京'],
      ['seoul서울', 'seoul서울'],
      ['דוד', 'דוד'],
      ['مريم', 'مريم'],
      ['हिन्दी', 'हिन्दी'],
      ['١٢٣', '١٢٣'],
    ] as const) {
      expect(normalizeIdentifier(input), input).toEqual({ ok: true, value: canonical });
    }
    // Latin letters with Arabic-Indic digits: two scripts, refused at the default level.
    expect(normalizeIdentifier('user١٢٣')).toEqual({ ok: false, reason: 'mixed_script' });
  });

  it('moderately-restrictive is the named loosening for Latin with one other script, never Cyrillic, Greek or Cherokee', () => {
    const moderate = identifierProfile({ restriction: 'moderately-restrictive' });
    expect(moderate.normalize('user\u0645\u0631\u064A\u0645')).toEqual({ ok: true, value: 'user\u0645\u0631\u064A\u0645' });
    expect(normalizeIdentifier('user\u0645\u0631\u064A\u0645')).toEqual({ ok: false, reason: 'mixed_script' });
    expect(moderate.normalize('p\u0430ypal')).toEqual({ ok: false, reason: 'mixed_script' });
    expect(moderate.normalize('p\u03B1ypal')).toEqual({ ok: false, reason: 'mixed_script' });
    expect(meetsRestrictionLevel('abc\u0645\u0631\u064A\u0645\u05D3', 'moderately-restrictive')).toBe(false);
  });

  it('bounds length in code points after normalization, and refuses non-strings and empty names', () => {
    expect(normalizeIdentifier('a'.repeat(64)).ok).toBe(true);
    expect(normalizeIdentifier('a'.repeat(65))).toEqual({ ok: false, reason: 'too_long' });
    expect(normalizeIdentifier('\uFDFA'.repeat(10)).ok).toBe(false);
    expect(normalizeIdentifier('x'.repeat(10_000_000))).toEqual({ ok: false, reason: 'too_long' });
    expect(identifierProfile({ maxLength: 3 }).normalize('abcd')).toEqual({ ok: false, reason: 'too_long' });
    expect(normalizeIdentifier('')).toEqual({ ok: false, reason: 'empty' });
    for (const value of [undefined, null, 1, ['admin'], { toString: () => 'admin' }]) {
      expect(normalizeIdentifier(value)).toEqual({ ok: false, reason: 'not_a_string' });
    }
  });

  it('refuses bad options at build', () => {
    expect(() => identifierProfile({ maxLength: 0 })).toThrow(ConfigurationError);
    expect(() => identifierProfile({ restriction: 'minimal' as 'highly-restrictive' })).toThrow(ConfigurationError);
    expect(() => confusablesFromEntries([['ab', 'c']])).toThrow(ConfigurationError);
  });

  it('is idempotent and never throws: the canonical form of a canonical form is itself', () => {
    const alphabet = fc.constantFrom('a', 'A', 'ａ', 'é', 'e\u0301', 'ß', 'İ', 'ǅ', 'Σ', 'ς', '東', 'カ', 'ｶ', '\u0430', '1', '١', '_', '\u0301', 'ﬁ', 'Ⅻ', '\u200D', '-');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 20 }), fc.array(alphabet, { maxLength: 12 }).map((parts) => parts.join(''))), (input) => {
        const result = normalizeIdentifier(input);
        if (result.ok) expect(normalizeIdentifier(result.value)).toEqual(result);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('scripts and skeletons', () => {
  it('every assigned character of the running engine is Common, Inherited or of a script in the list', () => {
    const union = new RegExp(`[\\p{Script=Common}\\p{Script=Inherited}${knownScriptNames().map((name) => `\\p{Script=${name}}`).join('')}]`, 'u');
    const assigned = /[^\p{Cn}\p{Co}\p{Cs}]/u;
    const missing: string[] = [];
    for (let codePoint = 0; codePoint <= 0x10ffff; codePoint += 1) {
      if (codePoint >= 0xd800 && codePoint <= 0xdfff) continue;
      const char = String.fromCodePoint(codePoint);
      if (assigned.test(char) && !union.test(char) && missing.length < 5) missing.push(codePoint.toString(16));
    }
    expect(missing).toEqual([]);
  });

  it('computes UTS #39 skeletons: NFD, ignorables dropped, prototypes, NFD', () => {
    expect(skeleton('\u0440\u0430\u0443\u0440\u0430l', CONFUSABLES_SAMPLE)).toBe('paypal');
    expect(skeleton('pa\u00ADy', CONFUSABLES_SAMPLE)).toBe('pay');
    expect(skeleton('\u00E9', CONFUSABLES_SAMPLE)).toBe('e\u0301');
  });
});
