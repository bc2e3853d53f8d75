import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlindIndex } from './blind-index.js';
import { DecryptionError, FieldCipher } from './field.js';
import { KeyRing } from './keyring.js';

const place = { table: 'users', column: 'ssn', row: 42 };

describe('FieldCipher', () => {
  it('round-trips arbitrary text and bytes for arbitrary contexts', () => {
    const cipher = new FieldCipher(KeyRing.generate());
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.string({ minLength: 1 }), fc.oneof(fc.string(), fc.integer())), (text, context) => {
        expect(cipher.decryptString(cipher.encrypt(text, context), context)).toBe(text);
      }),
      { numRuns: 200 },
    );
    const bytes = new Uint8Array([0, 1, 2, 255]);
    expect(cipher.decrypt(cipher.encrypt(bytes, place), place)).toEqual(Buffer.from(bytes));
  });

  it('uses a fresh 96-bit nonce each time, so equal plaintexts give unrelated ciphertexts', () => {
    const cipher = new FieldCipher(KeyRing.generate());
    const a = cipher.encrypt('123-45-6789', place);
    const b = cipher.encrypt('123-45-6789', place);
    expect(a).not.toBe(b);
    expect(Buffer.from(a.split('.')[2] ?? '', 'base64url')).toHaveLength(12);
  });

  it('never hands out the same nonce twice, across refills of the nonce pool', () => {
    const cipher = new FieldCipher(KeyRing.generate());
    const nonces = Array.from({ length: 2000 }, () => cipher.encrypt('x', place).split('.')[2]);
    expect(new Set(nonces).size).toBe(2000);
  });

  it('attack: a ciphertext copied to another row, column or table fails to decrypt', () => {
    const cipher = new FieldCipher(KeyRing.generate());
    const stolen = cipher.encrypt('victim secret', place);
    for (const elsewhere of [
      { ...place, row: 43 },
      { ...place, row: '42' },
      { ...place, column: 'notes' },
      { ...place, table: 'admins' },
      { table: 'users', column: 'ssn' },
      { ...place, extra: '' },
    ]) {
      expect(cipher.tryDecrypt(stolen, elsewhere)).toEqual({ ok: false, reason: 'authentication_failed' });
    }
    expect(() => cipher.decrypt(stolen, { ...place, row: 43 })).toThrow(DecryptionError);
  });

  it('attack: context encoding is injective, so crafted names cannot collide two places', () => {
    const cipher = new FieldCipher(KeyRing.generate());
    const envelope = cipher.encrypt('x', { a: 'b\u0000c' });
    expect(cipher.tryDecrypt(envelope, { a: 'b', c: '' }).ok).toBe(false);
    expect(cipher.tryDecrypt(cipher.encrypt('x', { ab: 'c' }), { a: 'bc' }).ok).toBe(false);
  });

  it('attack: flipping any character of the envelope is detected, never decrypts to other data', () => {
    const cipher = new FieldCipher(KeyRing.generate({ name: 'k' }));
    const envelope = cipher.encrypt('attack at dawn', place);
    const prefix = `rf1.k-1.`.length;
    for (let i = prefix; i < envelope.length; i += 1) {
      const flipped = envelope.slice(0, i) + (envelope[i] === 'A' ? 'B' : 'A') + envelope.slice(i + 1);
      const result = cipher.tryDecrypt(flipped, place);
      if (result.ok) expect(result.value.toString()).toBe('attack at dawn'); // only a non-canonical base64url tail bit
      else expect(['malformed', 'authentication_failed']).toContain(result.reason);
    }
  });

  it('attack: relabelling an envelope with another kid of the same ring fails', () => {
    const ring = KeyRing.generate();
    const cipher = new FieldCipher(ring);
    const envelope = cipher.encrypt('x', place);
    const oldKid = ring.active.kid;
    const newKid = ring.rotate().kid;
    expect(cipher.tryDecrypt(envelope.replace(oldKid, newKid), place).ok).toBe(false);
  });

  it('rotates: old envelopes decrypt until the key is retired; reencrypt moves them to the active key', () => {
    const ring = KeyRing.generate();
    const cipher = new FieldCipher(ring);
    const old = cipher.encrypt('value', place);
    const oldKid = ring.active.kid;
    ring.rotate();
    expect(cipher.needsReencrypt(old)).toBe(true);
    expect(cipher.decryptString(old, place)).toBe('value');
    const moved = cipher.reencrypt(old, place);
    expect(cipher.needsReencrypt(moved)).toBe(false);
    expect(cipher.keyIdOf(moved)).toBe(ring.active.kid);
    ring.retire(oldKid);
    expect(cipher.tryDecrypt(old, place)).toEqual({ ok: false, reason: 'unknown_key' });
    expect(cipher.decryptString(moved, place)).toBe('value');
  });

  it('never throws on arbitrary input, returns a typed failure', () => {
    const cipher = new FieldCipher(KeyRing.generate());
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom('rf1.k-1.AAAAAAAAAAAAAAAA..AAAAAAAAAAAAAAAAAAAAAA', 'rf1...'), fc.anything()), (input) => {
        const result = cipher.tryDecrypt(input as string, place);
        expect(result.ok).toBe(false);
      }),
    );
  });
});

describe('BlindIndex', () => {
  it('finds equal values after normalization and separates different ones', () => {
    const index = new BlindIndex(KeyRing.generate(), { column: 'users.email' });
    expect(index.compute('Alice@Example.com ')).toBe(index.compute('alice@example.com'));
    expect(index.compute('alice@example.com')).not.toBe(index.compute('bob@example.com'));
    expect(index.compute('x')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('uses a key separate from encryption and from other columns', () => {
    const ring = KeyRing.generate();
    const email = new BlindIndex(ring, { column: 'users.email' });
    const backup = new BlindIndex(ring, { column: 'users.backup_email' });
    expect(email.compute('a@b.c')).not.toBe(backup.compute('a@b.c'));
  });

  it('offers every candidate during a rotation, active first', () => {
    const ring = KeyRing.generate();
    const index = new BlindIndex(ring, { column: 'users.email' });
    const before = index.compute('a@b.c');
    ring.rotate();
    const candidates = index.candidates('a@b.c');
    expect(candidates).toHaveLength(2);
    expect(candidates[0]).toBe(index.compute('a@b.c'));
    expect(candidates[1]).toBe(before);
  });
});
