import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { KeyRing } from '../../crypto/keyring.js';
import { BackupCodes } from './backup-codes.js';
import { MemoryBackupCodeStore, type BackupCodeStore, type StoredBackupCode } from './store.js';

function setup(count?: number) {
  const events: SecurityEvent[] = [];
  const keyRing = KeyRing.generate();
  const store = new MemoryBackupCodeStore();
  const codes = new BackupCodes({ keyRing, store, events: (e) => events.push(e), ...(count === undefined ? {} : { count }) });
  return { codes, events, keyRing, store };
}

describe('backup codes', () => {
  it('generates 10 distinct codes formatted xxxxx-xxxxx', async () => {
    const { codes } = setup();
    const set = await codes.regenerate('alice');
    expect(set).toHaveLength(10);
    expect(new Set(set).size).toBe(10);
    for (const code of set) expect(code).toMatch(/^[0-9abcdefghjkmnpqrstvwxyz]{5}-[0-9abcdefghjkmnpqrstvwxyz]{5}$/);
    expect(await codes.remaining('alice')).toBe(10);
  });

  it('stores only keyed hashes, never the codes', async () => {
    const replaced: StoredBackupCode[][] = [];
    const inner = new MemoryBackupCodeStore();
    const spy: BackupCodeStore = {
      replace: (subject, list) => {
        replaced.push([...list]);
        return inner.replace(subject, list);
      },
      consume: (subject, candidates) => inner.consume(subject, candidates),
      count: (subject) => inner.count(subject),
    };
    const keyRing = KeyRing.generate();
    const set = await new BackupCodes({ keyRing, store: spy }).regenerate('alice');
    const stored = JSON.stringify(replaced);
    for (const code of set) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replace('-', ''));
    }
    expect(replaced[0]?.every((entry) => entry.kid === keyRing.active.kid && /^[A-Za-z0-9_-]{43}$/.test(entry.hash))).toBe(true);
  });

  it('a code works once; reuse is refused', async () => {
    const { codes, events } = setup();
    const [code] = await codes.regenerate('alice');

    expect(await codes.consume('alice', code)).toEqual({ ok: true, value: { remaining: 9 } });
    expect(await codes.consume('alice', code)).toEqual({ ok: false, reason: 'invalid' });
    expect(events.map((e) => [e.type, e.attributes])).toEqual([
      ['mfa.backup_codes.regenerated', { count: 10 }],
      ['mfa.backup_code.used', { remaining: 9 }],
    ]);
    expect(JSON.stringify(events)).not.toContain(code!.slice(0, 5));
  });

  it('concurrent consumption of one code: exactly one succeeds', async () => {
    const { codes } = setup();
    const [code] = await codes.regenerate('alice');
    const results = await Promise.all(Array.from({ length: 20 }, () => codes.consume('alice', code)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await codes.remaining('alice')).toBe(9);
  });

  it('regeneration kills the whole old set', async () => {
    const { codes } = setup();
    const old = await codes.regenerate('alice');
    const fresh = await codes.regenerate('alice');
    for (const code of old) expect(await codes.consume('alice', code)).toEqual({ ok: false, reason: 'invalid' });
    expect((await codes.consume('alice', fresh[0])).ok).toBe(true);
  });

  it("one account's code does not work for another account", async () => {
    const { codes } = setup();
    const [aliceCode] = await codes.regenerate('alice');
    await codes.regenerate('bob');
    expect(await codes.consume('bob', aliceCode)).toEqual({ ok: false, reason: 'invalid' });
    expect(await codes.consume('nobody', aliceCode)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('a leaked database is useless without the key: another ring cannot match the stored hashes', async () => {
    const { codes, store } = setup();
    const [code] = await codes.regenerate('alice');
    const attacker = new BackupCodes({ keyRing: KeyRing.generate(), store });
    expect(await attacker.consume('alice', code)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('survives key rotation until the old kid is retired', async () => {
    const { codes, keyRing } = setup();
    const set = await codes.regenerate('alice');
    const oldKid = keyRing.active.kid;
    keyRing.rotate();
    expect((await codes.consume('alice', set[0])).ok).toBe(true);
    keyRing.retire(oldKid);
    expect(await codes.consume('alice', set[1])).toEqual({ ok: false, reason: 'invalid' });
  });

  it('accepts what users type: upper case, spaces, no dash, Unicode dash, look-alike letters', async () => {
    const { codes } = setup();
    const set = await codes.regenerate('alice');
    const variants = [
      set[0]!.toUpperCase(),
      ` ${set[1]!.replace('-', ' ')} `,
      set[2]!.replace('-', ''),
      set[3]!.replace('-', '\u2013'),
      set[4]!.replace(/0/g, 'O').replace(/1/g, 'l'),
    ];
    for (const variant of variants) expect((await codes.consume('alice', variant)).ok).toBe(true);
    expect(await codes.remaining('alice')).toBe(5);
  });

  it('hostile input is malformed, never thrown, and does not consume anything', async () => {
    const { codes } = setup();
    const [code] = await codes.regenerate('alice');
    const hostile: unknown[] = [
      '', 'x', `${code}a`, code!.slice(1), 'uuuuu-uuuuu', `${code}\u0000`, '-'.repeat(100_000), null, undefined, 42, {}, [code],
      { toString: () => code }, Symbol('x'), 'ＡＢＣＤＥ-ＦＧＨＪＫ',
    ];
    for (const input of hostile) expect(await codes.consume('alice', input)).toEqual({ ok: false, reason: 'malformed' });
    expect(await codes.remaining('alice')).toBe(10);
  });

  it('a failing store denies (fail closed)', async () => {
    const store: BackupCodeStore = {
      replace: () => Promise.resolve(),
      consume: () => Promise.reject(new Error('store down')),
      count: () => Promise.resolve(0),
    };
    const codes = new BackupCodes({ keyRing: KeyRing.generate(), store });
    await expect(codes.consume('alice', 'abcde-fghjk')).rejects.toThrow('store down');
  });

  it('refuses unsafe configuration', () => {
    const keyRing = KeyRing.generate();
    const store = new MemoryBackupCodeStore();
    for (const count of [0, -1, 1.5, 51]) expect(() => new BackupCodes({ keyRing, store, count })).toThrow(ConfigurationError);
    expect(setup(3).codes).toBeInstanceOf(BackupCodes);
  });
});
