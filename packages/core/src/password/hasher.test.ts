import { parseOptions } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../crypto/keyring.js';
import { ConfigurationError } from '../errors.js';
import type { SecurityEvent } from '../events.js';
import { PasswordInputError } from './errors.js';
import { createPasswordHasher, OWASP_ARGON2ID } from './hasher.js';
import { countingEngine, FAST } from './testing.fixtures.js';

const PASSWORD = 'correct horse battery staple';

describe('createPasswordHasher: Argon2id at OWASP defaults', () => {
  it('hashes with m=19456 KiB, t=2, p=1, v=0x13 into a PHC string with a 16-byte salt and 32-byte hash', async () => {
    const hasher = createPasswordHasher();
    expect(hasher.parameters).toMatchObject({ algorithm: 'argon2id', version: 19, ...OWASP_ARGON2ID, hashLength: 32, saltLength: 16, maxBytes: 1024 });
    const hash = await hasher.hash(PASSWORD);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(parseOptions(hash)).toMatchObject({ algorithm: 2, version: 1, memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 32, saltLen: 16 });
    expect(await hasher.verify(hash, PASSWORD)).toEqual({ ok: true, value: {} });
    expect(await hasher.verify(hash, `${PASSWORD}.`)).toEqual({ ok: false, reason: 'mismatch' });
    expect(hasher.needsRehash(hash)).toBe(false);
  });

  it('salts every hash', async () => {
    const hasher = createPasswordHasher(FAST);
    expect(await hasher.hash(PASSWORD)).not.toBe(await hasher.hash(PASSWORD));
  });

  it('is configurable', async () => {
    const hasher = createPasswordHasher({ ...FAST, memoryCost: 2048, timeCost: 3, parallelism: 2, hashLength: 48, saltLength: 24 });
    const hash = await hasher.hash(PASSWORD);
    expect(parseOptions(hash)).toMatchObject({ memoryCost: 2048, timeCost: 3, parallelism: 2, outputLen: 48, saltLen: 24 });
    expect((await hasher.verify(hash, PASSWORD)).ok).toBe(true);
  });

  it('refuses parameters below OWASP unless allowWeakParameters names the loosening', () => {
    expect(() => createPasswordHasher({ memoryCost: 4096 })).toThrow(ConfigurationError);
    expect(() => createPasswordHasher({ memoryCost: 19456, timeCost: 1 })).toThrow(ConfigurationError);
    expect(() => createPasswordHasher({ memoryCost: 47104, timeCost: 1 })).not.toThrow();
    expect(() => createPasswordHasher({ memoryCost: 7168, timeCost: 5 })).not.toThrow();
    expect(() => createPasswordHasher({ memoryCost: 4096, allowWeakParameters: true })).not.toThrow();
    expect(() => createPasswordHasher({ parallelism: 0 })).toThrow(ConfigurationError);
    expect(() => createPasswordHasher({ ...FAST, memoryCost: 7, parallelism: 1 })).toThrow(ConfigurationError);
    expect(() => createPasswordHasher({ saltLength: 8 })).toThrow(ConfigurationError);
    expect(() => createPasswordHasher({ maxBytes: 128 })).toThrow(ConfigurationError);
    expect(() => createPasswordHasher({ concurrency: 0 })).toThrow(ConfigurationError);
  });

  it('refuses to hash input that must not be hashed, with typed errors that do not echo it', async () => {
    const hasher = createPasswordHasher(FAST);
    await expect(hasher.hash('')).rejects.toMatchObject({ code: 'PASSWORD_INVALID', problem: 'invalid_input' });
    await expect(hasher.hash(42 as unknown as string)).rejects.toBeInstanceOf(PasswordInputError);
    await expect(hasher.hash('ab\uD800cd')).rejects.toMatchObject({ code: 'PASSWORD_INVALID' });
    const long = 'x'.repeat(1025);
    const error = await hasher.hash(long).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PASSWORD_TOO_LONG', problem: 'too_long' });
    expect((error as Error).message).not.toContain('xxxx');
  });

  it('accepts 64 four-byte characters (NIST: at least 64)', async () => {
    const hasher = createPasswordHasher(FAST);
    const emoji = '🔒'.repeat(64);
    expect((await hasher.verify(await hasher.hash(emoji), emoji)).ok).toBe(true);
  });
});

describe('NFKC normalization, the same at hash and verify', () => {
  const pairs: ReadonlyArray<[string, string, string]> = [
    ['full-width letters', 'ｃｏｒｒｅｃｔ ｈｏｒｓｅ', 'correct horse'],
    ['ligature', 'ﬁnal ﬂight of the day', 'final flight of the day'],
    ['composed vs decomposed', 'caf\u00e9 au lait please', 'cafe\u0301 au lait please'],
    ['compatibility digits', 'room ①②③ upstairs', 'room 123 upstairs'],
  ];
  for (const [name, a, b] of pairs) {
    it(`${name}: each form verifies against the other`, async () => {
      const hasher = createPasswordHasher(FAST);
      expect((await hasher.verify(await hasher.hash(a), b)).ok).toBe(true);
      expect((await hasher.verify(await hasher.hash(b), a)).ok).toBe(true);
    });
  }

  it('feeds the hasher the UTF-8 bytes of the NFKC form', async () => {
    const spy = countingEngine();
    const hasher = createPasswordHasher({ ...FAST, engine: spy.engine });
    await hasher.hash('ｐａｓｓ ｗｏｒｄ ①');
    expect(Buffer.from(spy.inputs[0]!).toString('utf8')).toBe('pass word 1');
  });
});

describe('needsRehash', () => {
  it('is true for weaker parameters, other variants, old versions, short salts or outputs, and non-Argon2 strings', async () => {
    const strong = createPasswordHasher({ ...FAST, memoryCost: 2048, timeCost: 2 });
    const weakM = await createPasswordHasher({ ...FAST, memoryCost: 1024, timeCost: 2 }).hash(PASSWORD);
    const weakT = await createPasswordHasher({ ...FAST, memoryCost: 2048, timeCost: 1 }).hash(PASSWORD);
    const otherP = await createPasswordHasher({ ...FAST, memoryCost: 2048, timeCost: 2, parallelism: 2 }).hash(PASSWORD);
    const shortOut = await createPasswordHasher({ ...FAST, memoryCost: 2048, timeCost: 2, hashLength: 16 }).hash(PASSWORD);
    const stronger = await createPasswordHasher({ ...FAST, memoryCost: 4096, timeCost: 3 }).hash(PASSWORD);
    const same = await strong.hash(PASSWORD);
    expect(strong.needsRehash(weakM)).toBe(true);
    expect(strong.needsRehash(weakT)).toBe(true);
    expect(strong.needsRehash(otherP)).toBe(true);
    expect(strong.needsRehash(shortOut)).toBe(true);
    expect(strong.needsRehash(stronger)).toBe(false);
    expect(strong.needsRehash(same)).toBe(false);
    expect(strong.needsRehash(same.replace('$argon2id$', '$argon2i$'))).toBe(true);
    expect(strong.needsRehash(same.replace('$v=19$', '$v=16$'))).toBe(true);
    expect(strong.needsRehash(same.replace('$v=19$', '$'))).toBe(true);
    expect(strong.needsRehash('$2b$04$IM70OVSK8.kNAdhC5U.vtOiG8vuzGMHQNS2QaxST1NZ5IGLR8M5tS')).toBe(true);
    expect(strong.needsRehash('garbage')).toBe(true);
    expect(strong.needsRehash(null)).toBe(true);
  });

  it('verify returns the upgraded hash when the stored one is outdated, and emits password.rehashed', async () => {
    const events: SecurityEvent[] = [];
    const old = await createPasswordHasher({ ...FAST, memoryCost: 1024 }).hash(PASSWORD);
    const hasher = createPasswordHasher({ ...FAST, memoryCost: 2048, events: (e) => events.push(e) });
    const result = await hasher.verify(old, PASSWORD);
    expect(result.ok).toBe(true);
    const rehash = result.ok ? result.value.rehash : undefined;
    expect(rehash).toMatch(/^\$argon2id\$v=19\$m=2048,t=1,p=1\$/);
    expect(hasher.needsRehash(rehash)).toBe(false);
    expect(await hasher.verify(rehash, PASSWORD)).toEqual({ ok: true, value: {} });
    expect(events.map((e) => [e.type, e.attributes])).toEqual([['password.rehashed', { from: 'argon2id' }]]);
    expect(JSON.stringify(events)).not.toContain('horse');
  });

  it('verifies argon2i and argon2d hashes and upgrades them to argon2id', async () => {
    const hasher = createPasswordHasher(FAST);
    const vectors = [
      // phc-winner-argon2 src/test.c, Argon2i v0x13 m=2^8 t=2 p=1 (a second variant through the same verify path).
      '$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8',
    ];
    for (const stored of vectors) {
      const result = await hasher.verify(stored, 'password');
      expect(result.ok).toBe(true);
      expect(result.ok && result.value.rehash?.startsWith('$argon2id$')).toBe(true);
    }
  });
});

describe('pepper from the key ring', () => {
  const ring = (): KeyRing => KeyRing.generate({ name: 'pepper' });

  it('records the kid in a $rampart-pepper$ wrapper around the PHC string, and verifies', async () => {
    const keys = ring();
    const hasher = createPasswordHasher({ ...FAST, pepper: keys });
    const hash = await hasher.hash(PASSWORD);
    expect(hash).toMatch(/^\$rampart-pepper\$kid=pepper-1\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(hasher.parameters.peppered).toBe(true);
    expect(await hasher.verify(hash, PASSWORD)).toEqual({ ok: true, value: {} });
    expect(await hasher.verify(hash, 'wrong horse battery staple')).toEqual({ ok: false, reason: 'mismatch' });
    expect(hasher.needsRehash(hash)).toBe(false);
  });

  it('hashes HMAC-SHA256(pepper, password), not the password: the inner PHC string alone does not verify', async () => {
    const spy = countingEngine();
    const hasher = createPasswordHasher({ ...FAST, pepper: ring(), engine: spy.engine });
    const hash = await hasher.hash(PASSWORD);
    expect(Buffer.from(spy.inputs[0]!).toString('ascii')).toMatch(/^[A-Za-z0-9_-]{43}$/); // base64url of 32 HMAC bytes
    expect(Buffer.from(spy.inputs[0]!).toString('utf8')).not.toContain('horse');
    const inner = hash.slice(hash.indexOf('$argon2id$'));
    expect(await createPasswordHasher(FAST).verify(inner, PASSWORD)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('after rotation, old-kid hashes still verify, need a rehash, and come back under the new kid', async () => {
    const keys = ring();
    const hasher = createPasswordHasher({ ...FAST, pepper: keys });
    const old = await hasher.hash(PASSWORD);
    keys.rotate();
    expect(hasher.needsRehash(old)).toBe(true);
    const result = await hasher.verify(old, PASSWORD);
    expect(result.ok).toBe(true);
    const rehash = result.ok ? result.value.rehash : undefined;
    expect(rehash).toMatch(/^\$rampart-pepper\$kid=pepper-2\$argon2id\$/);
    expect(hasher.needsRehash(rehash)).toBe(false);
    expect(await hasher.verify(rehash, PASSWORD)).toEqual({ ok: true, value: {} });
  });

  it('a retired kid cannot verify (pepper_key_unavailable), still at the cost of a verify', async () => {
    const keys = ring();
    const spy = countingEngine();
    const hasher = createPasswordHasher({ ...FAST, pepper: keys, engine: spy.engine });
    const old = await hasher.hash(PASSWORD);
    keys.rotate();
    keys.retire('pepper-1');
    const before = spy.calls.argon2Verify;
    expect(await hasher.verify(old, PASSWORD)).toEqual({ ok: false, reason: 'pepper_key_unavailable' });
    expect(spy.calls.argon2Verify).toBe(before + 1);
  });

  it('another ring with the same kid does not verify; a hasher without a pepper cannot verify peppered hashes', async () => {
    const hash = await createPasswordHasher({ ...FAST, pepper: ring() }).hash(PASSWORD);
    expect(await createPasswordHasher({ ...FAST, pepper: ring() }).verify(hash, PASSWORD)).toEqual({ ok: false, reason: 'mismatch' });
    expect(await createPasswordHasher(FAST).verify(hash, PASSWORD)).toEqual({ ok: false, reason: 'pepper_key_unavailable' });
  });

  it('turning the pepper on upgrades plain hashes at the next login; turning it off is reported too', async () => {
    const keys = ring();
    const plainHasher = createPasswordHasher(FAST);
    const plain = await plainHasher.hash(PASSWORD);
    const pepperedHasher = createPasswordHasher({ ...FAST, pepper: keys });
    expect(pepperedHasher.needsRehash(plain)).toBe(true);
    const result = await pepperedHasher.verify(plain, PASSWORD);
    expect(result.ok && result.value.rehash).toMatch(/^\$rampart-pepper\$kid=pepper-1\$/);
    expect(plainHasher.needsRehash(await pepperedHasher.hash(PASSWORD))).toBe(true);
  });
});
