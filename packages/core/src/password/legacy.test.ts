import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../events.js';
import { parseStoredHash } from './formats.js';
import { createPasswordHasher } from './hasher.js';
import { countingEngine, FAST } from './testing.fixtures.js';

/*
 * Fixtures made outside Node, by the libraries that wrote these formats in the systems being migrated: passlib 1.7.4
 * (scrypt, pbkdf2_sha256) and pyca/bcrypt 3.2.2, e.g.
 *   passlib.hash.scrypt.using(rounds=10, salt=b'saltsaltsaltsalt').hash("correct horse battery staple")
 *   bcrypt.hashpw(b"correct horse battery staple", bcrypt.gensalt(rounds=4, prefix=b"2b"))
 */
const PASSWORD = 'correct horse battery staple';
const UNICODE = 'pässwörd-ünïcode';
/** Full-width: not in NFKC. Legacy systems hashed it as typed. */
const FULL_WIDTH = 'ｃｏｒｒｅｃｔ ｈｏｒｓｅ';

const FIXTURES: ReadonlyArray<{ name: string; stored: string; password: string; from: string }> = [
  { name: 'bcrypt $2b$', stored: '$2b$04$IM70OVSK8.kNAdhC5U.vtOiG8vuzGMHQNS2QaxST1NZ5IGLR8M5tS', password: PASSWORD, from: 'bcrypt' },
  { name: 'bcrypt $2a$', stored: '$2a$05$cnELWAZblSLAeicgxLW1d.syCidGyB7HPVS2BBXySuGmA2q.h2LAm', password: PASSWORD, from: 'bcrypt' },
  // $2y$ (PHP's name for the fixed algorithm) is $2b$ under another prefix.
  { name: 'bcrypt $2y$', stored: '$2y$04$IM70OVSK8.kNAdhC5U.vtOiG8vuzGMHQNS2QaxST1NZ5IGLR8M5tS', password: PASSWORD, from: 'bcrypt' },
  { name: 'passlib scrypt', stored: '$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ', password: PASSWORD, from: 'scrypt' },
  { name: 'passlib scrypt p=2, UTF-8', stored: '$scrypt$ln=12,r=8,p=2$DgHgfK91jhECwBgDgBDi3A$4wuJt8N2tVnbmQckma22VnfsJgT40jDN8MaL4UQ8cDs', password: UNICODE, from: 'scrypt' },
  { name: 'passlib pbkdf2_sha256 (adapted base64)', stored: '$pbkdf2-sha256$29000$c2FsdHNhbHRzYWx0c2FsdA$deg013K/.azFJfBfjvbs8PSCZkZ8QSlaNAYX1MwJLfw', password: PASSWORD, from: 'pbkdf2-sha256' },
  { name: 'passlib pbkdf2_sha256, UTF-8', stored: '$pbkdf2-sha256$1000$NQbgnPOec07pvfc.p/R.rw$2YjHLQqC2KaPdowK2afuDccM2tLeMBanE6HZD8ovx6I', password: UNICODE, from: 'pbkdf2-sha256' },
];

describe('legacy hashes verify and upgrade to Argon2id on a successful login', () => {
  for (const fixture of FIXTURES) {
    it(fixture.name, async () => {
      const events: SecurityEvent[] = [];
      const hasher = createPasswordHasher({ ...FAST, events: (e) => events.push(e) });
      expect(hasher.needsRehash(fixture.stored)).toBe(true);
      expect(await hasher.verify(fixture.stored, `${fixture.password}x`)).toEqual({ ok: false, reason: 'mismatch' });
      const result = await hasher.verify(fixture.stored, fixture.password);
      expect(result.ok).toBe(true);
      const rehash = result.ok ? result.value.rehash : undefined;
      expect(rehash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
      expect(await hasher.verify(rehash, fixture.password)).toEqual({ ok: true, value: {} });
      expect(events).toMatchObject([{ type: 'password.rehashed', attributes: { from: fixture.from } }]);
    });
  }

  it('a legacy hash of a non-NFKC password (hashed as typed) still verifies, and the upgrade is NFKC', async () => {
    const hasher = createPasswordHasher(FAST);
    for (const stored of [
      '$pbkdf2-sha256$1000$W2uN8b53jrG29n4vRYgRog$9zzJ.uPxaLziQX5zm3GTcS811Ew9JWGXUHHpxYBNtC4',
      '$2b$04$RTTMFZcsT2sVyhZa9V6mcey3X22BXIfrlnCepBjYrKwk0.V.v3CBa',
    ]) {
      const result = await hasher.verify(stored, FULL_WIDTH);
      expect(result.ok).toBe(true);
      const rehash = result.ok ? result.value.rehash : undefined;
      expect((await hasher.verify(rehash, 'correct horse')).ok).toBe(true);
    }
  });

  it('accepts the PHC-style $pbkdf2-sha256$i=<n>$ spelling too', async () => {
    const hasher = createPasswordHasher(FAST);
    const passlib = FIXTURES.find((f) => f.name.startsWith('passlib pbkdf2_sha256 (adapted'))!;
    const phcStyle = passlib.stored.replace('$29000$', '$i=29000$').replaceAll('.', '+');
    expect((await hasher.verify(phcStyle, PASSWORD)).ok).toBe(true);
  });
});

describe('legacy formats that are refused', () => {
  it('bcrypt $2x$ (the buggy 2011 variant) and schemes Rampart does not read are unsupported_hash', async () => {
    const spy = countingEngine();
    const hasher = createPasswordHasher({ ...FAST, engine: spy.engine });
    for (const stored of [
      '$2x$04$IM70OVSK8.kNAdhC5U.vtOiG8vuzGMHQNS2QaxST1NZ5IGLR8M5tS',
      '$1$saltsalt$qjXMvbEw8oaL.CzflDugX/',
      '$6$rounds=5000$saltsalt$abc',
    ]) {
      expect(await hasher.verify(stored, PASSWORD)).toEqual({ ok: false, reason: 'unsupported_hash' });
    }
    expect(spy.calls.bcryptVerify).toBe(0);
  });

  it('cost parameters beyond the limits are unsupported_hash and never computed (a bad row cannot allocate terabytes)', async () => {
    const spy = countingEngine();
    const hasher = createPasswordHasher({ ...FAST, engine: spy.engine });
    const salt = 'c2FsdHNhbHRzYWx0c2FsdA';
    const hash = 'bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ';
    for (const stored of [
      `$argon2id$v=19$m=4294967295,t=2,p=1$${salt}$${hash}`,
      `$argon2id$v=19$m=19456,t=4294967295,p=1$${salt}$${hash}`,
      `$argon2id$v=19$m=19456,t=2,p=255$${salt}$${hash}`,
      `$scrypt$ln=30,r=8,p=1$${salt}$${hash}`,
      `$scrypt$ln=20,r=8,p=1$${salt}$${hash}`,
      `$scrypt$ln=10,r=8,p=999$${salt}$${hash}`,
      `$pbkdf2-sha256$4000000000$${salt}$${hash}`,
      '$2b$31$IM70OVSK8.kNAdhC5U.vtOiG8vuzGMHQNS2QaxST1NZ5IGLR8M5tS',
    ]) {
      expect(await hasher.verify(stored, PASSWORD), stored).toEqual({ ok: false, reason: 'unsupported_hash' });
    }
    // Each refusal cost one dummy Argon2 verify at the current parameters, and nothing else.
    expect(spy.calls.bcryptVerify + spy.calls.scrypt + spy.calls.pbkdf2Sha256).toBe(0);
    expect(new Set(spy.verified)).toEqual(new Set([spy.verified[0]]));
    expect(spy.verified[0]).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
  });

  it('limits are configurable', () => {
    const stored = '$scrypt$ln=16,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ';
    const limits = { maxArgon2MemoryCost: 1, maxArgon2TimeCost: 1, maxArgon2Parallelism: 1, maxBcryptCost: 4, maxPbkdf2Iterations: 1, maxScryptParallelism: 1 };
    // ln=16, r=8: 128 × 2^16 × 8 bytes = 64 MiB.
    expect(parseStoredHash(stored, { ...limits, maxScryptMemoryBytes: 64 * 1024 * 1024 - 1 })).toEqual({ ok: false, reason: 'unsupported_hash' });
    expect(parseStoredHash(stored, { ...limits, maxScryptMemoryBytes: 64 * 1024 * 1024 }).ok).toBe(true);
  });

  it('the hasher takes its limits from options', async () => {
    const hasher = createPasswordHasher({ ...FAST, limits: { maxBcryptCost: 4 } });
    expect(await hasher.verify('$2a$05$cnELWAZblSLAeicgxLW1d.syCidGyB7HPVS2BBXySuGmA2q.h2LAm', PASSWORD)).toEqual({ ok: false, reason: 'unsupported_hash' });
  });

  it('malformed strings are malformed_hash', async () => {
    const hasher = createPasswordHasher(FAST);
    for (const stored of [
      '',
      'password',
      '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ',
      '$argon2id$v=19$m=4,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
      '$argon2id$v=18$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
      '$rampart-pepper$kid=$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
      '$rampart-pepper$kid=k-1$2b$04$IM70OVSK8.kNAdhC5U.vtOiG8vuzGMHQNS2QaxST1NZ5IGLR8M5tS',
      '$2b$04$IM70OVSK8.kNAdhC5U.vtOiG8vuzGMHQNS2QaxST1NZ5IGLR8M5t',
      '$2b$99$IM70OVSK8.kNAdhC5U.vtOiG8vuzGMHQNS2QaxST1NZ5IGLR8M5tS',
      '$scrypt$ln=10,r=8$c2FsdHNhbHRzYWx0c2FsdA$bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ',
      '$pbkdf2-sha256$0$c2FsdHNhbHRzYWx0c2FsdA$bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ',
      `$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$${'A'.repeat(600)}`,
    ]) {
      expect(await hasher.verify(stored, PASSWORD), stored).toEqual({ ok: false, reason: 'malformed_hash' });
    }
  });
});
