import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../crypto/keyring.js';
import { createPasswordHasher, type VerifyFailureReason } from './hasher.js';
import { createPasswordPolicy } from './policy.js';
import { FAST } from './testing.fixtures.js';

/*
 * Property tests run with the cheap Argon2 settings of FAST (m = 1 MiB, t = 1) and few runs: the properties are about
 * parsing and normalization, which do not depend on the cost.
 */
const REASONS: ReadonlySet<VerifyFailureReason> = new Set<VerifyFailureReason>([
  'mismatch',
  'unknown_user',
  'malformed_hash',
  'unsupported_hash',
  'pepper_key_unavailable',
  'too_long',
  'invalid_input',
]);

const hasher = createPasswordHasher({ ...FAST, pepper: KeyRing.generate() });
const PASSWORD = 'correct horse battery staple';
const stored = await hasher.hash(PASSWORD);
const SAMPLES = [
  stored,
  stored.slice(stored.indexOf('$argon2id$')),
  '$2b$04$IM70OVSK8.kNAdhC5U.vtOiG8vuzGMHQNS2QaxST1NZ5IGLR8M5tS',
  '$scrypt$ln=4,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ',
  '$pbkdf2-sha256$10$c2FsdHNhbHRzYWx0c2FsdA$deg013K/.azFJfBfjvbs8PSCZkZ8QSlaNAYX1MwJLfw',
];

/** A stored hash with one edit: a character replaced, inserted or removed, or the string cut. */
const mutatedHash = fc
  .tuple(fc.constantFrom(...SAMPLES), fc.nat(), fc.constantFrom('replace', 'insert', 'delete', 'cut'), fc.constantFrom(...Array.from('$=,0129aZ+/.-_ \u0000é')))
  .map(([sample, position, edit, ch]) => {
    const at = position % sample.length;
    if (edit === 'replace') return sample.slice(0, at) + ch + sample.slice(at + 1);
    if (edit === 'insert') return sample.slice(0, at) + ch + sample.slice(at);
    if (edit === 'delete') return sample.slice(0, at) + sample.slice(at + 1);
    return sample.slice(0, at);
  });

/** PHC-shaped strings with arbitrary fields. */
const phcLike = fc
  .tuple(
    fc.constantFrom('argon2id', 'argon2i', 'argon2d', 'argon2x', 'scrypt', 'pbkdf2-sha256', '2b', '2y', 'rampart-pepper'),
    fc.array(fc.stringMatching(/^[a-z0-9=,.+/-]{0,24}$/), { maxLength: 5 }),
  )
  .map(([id, fields]) => `$${id}$${fields.join('$')}`);

const SCHEMA_TEXT = JSON.stringify({
  ok: [true, false],
  violations: ['not_a_string', 'invalid_characters', 'too_short', 'too_long', 'common_password', 'context_word', 'too_weak'],
  fields: { code: 0, minLength: 12, maxBytes: 1024, field: ['userName', 'email', 'serviceName', 'other'], score: 0, minScore: 3 },
});

function expectTypedFailure(result: unknown): void {
  expect(result).toMatchObject({ ok: false });
  expect(REASONS.has((result as { reason: VerifyFailureReason }).reason)).toBe(true);
  expect(Object.keys(result as object).sort()).toEqual(['ok', 'reason']);
}

describe('properties', () => {
  it('verify never throws on arbitrary values and returns a typed failure', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), fc.anything(), async (storedValue, password) => {
        const result = await hasher.verify(storedValue, password);
        expectTypedFailure(result);
      }),
      { numRuns: 60 },
    );
  });

  it('verify never throws on malformed or mutated PHC strings; only the untouched hash with the right password succeeds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedHash, phcLike), fc.oneof(fc.constant(PASSWORD), fc.string()), async (candidate, password) => {
        const result = await hasher.verify(candidate, password);
        if (result.ok) {
          // A mutation can leave a hash intact in meaning (e.g. trailing base64 bits); it must still be the right password.
          expect(password).toBe(PASSWORD);
        } else {
          expectTypedFailure(result);
        }
        expect(typeof hasher.needsRehash(candidate)).toBe('boolean');
      }),
      { numRuns: 80 },
    );
  });

  it('NFKC-equivalent passwords verify against each other', async () => {
    const plain = createPasswordHasher(FAST);
    /** Text with compatibility and decomposable characters mixed in. */
    const text = fc
      .array(fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }), fc.constantFrom('ﬁ', 'é', 'e\u0301', 'Å', '①', 'ｘ', 'ﾊﾟ', '㎏', '™', 'ǆ')), {
        minLength: 1,
        maxLength: 8,
      })
      .map((parts) => parts.join(''));
    await fc.assert(
      fc.asyncProperty(text, fc.constantFrom<'NFC' | 'NFD' | 'NFKC' | 'NFKD'>('NFC', 'NFD', 'NFKC', 'NFKD'), async (password, form) => {
        const variant = password.normalize(form);
        fc.pre(variant.normalize('NFKC') === password.normalize('NFKC'));
        const hash = await plain.hash(password);
        expect(await plain.verify(hash, variant)).toEqual({ ok: true, value: {} });
      }),
      { numRuns: 25 },
    );
  });

  it('full-width forms verify against their ASCII equivalents', async () => {
    const plain = createPasswordHasher(FAST);
    const toFullWidth = (s: string): string => s.replace(/[!-~]/g, (c) => String.fromCodePoint(c.charCodeAt(0) + 0xfee0));
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[!-~]{1,40}$/), async (ascii) => {
        expect(await plain.verify(await plain.hash(ascii), toFullWidth(ascii))).toEqual({ ok: true, value: {} });
      }),
      { numRuns: 20 },
    );
  });

  it('the policy never throws and never echoes its input', () => {
    const policy = createPasswordPolicy();
    fc.assert(
      fc.property(fc.oneof(fc.string({ minLength: 6, maxLength: 40 }), fc.anything()), (password) => {
        const result = policy.check(password, { userName: 'someone' });
        expect(typeof result.ok).toBe('boolean');
        const text = JSON.stringify(result);
        // A result is made of these words and small numbers only; any other 6+ character input must not appear in it.
        if (typeof password === 'string' && password.length >= 6 && !SCHEMA_TEXT.includes(password)) expect(text).not.toContain(password);
      }),
      { numRuns: 100 },
    );
  });
});
