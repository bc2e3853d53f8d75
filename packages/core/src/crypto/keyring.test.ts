import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import type { SecurityEvent } from '../events.js';
import { KeyRing, KeyRingError } from './keyring.js';

const secret = (): string => randomBytes(32).toString('base64url');

describe('KeyRing', () => {
  it('refuses keys shorter than 256 bits', () => {
    expect(() => KeyRing.fromDocument({ active: 'a', keys: { a: randomBytes(31).toString('base64url') } })).toThrow(ConfigurationError);
    expect(() => KeyRing.fromDocument({ active: 'a', keys: { a: 'c2hvcnQ' } })).toThrow(/at least 256/);
    const ring = KeyRing.generate();
    expect(() => ring.rotate(randomBytes(16))).toThrow(ConfigurationError);
  });

  it('refuses an active kid that is not in the ring and kids that could inject into envelopes', () => {
    expect(() => KeyRing.fromDocument({ active: 'b', keys: { a: secret() } })).toThrow(ConfigurationError);
    expect(() => KeyRing.fromDocument({ active: 'a.b', keys: { 'a.b': secret() } })).toThrow(ConfigurationError);
    expect(() => KeyRing.fromDocument({ active: '../x', keys: { '../x': secret() } })).toThrow(ConfigurationError);
  });

  it('rotates: the new key is active, the old one still resolvable until retired', () => {
    const events: SecurityEvent[] = [];
    const ring = KeyRing.generate({ name: 'main', events: (event) => events.push(event) });
    const first = ring.active;
    const second = ring.rotate();
    expect(second.kid).toBe('main-2');
    expect(second.version).toBe(2);
    expect(ring.active.kid).toBe('main-2');
    expect(ring.get(first.kid)).toBe(first);
    ring.retire(first.kid);
    expect(ring.get(first.kid)).toBeUndefined();
    expect(events.map((event) => event.type)).toEqual(['keyring.rotated', 'keyring.retired']);
  });

  it('refuses to retire the active key, so a ring never ends up empty', () => {
    const ring = KeyRing.generate();
    expect(() => {
      ring.retire(ring.active.kid);
    }).toThrow(KeyRingError);
    expect(() => {
      ring.retire('nope');
    }).toThrow(KeyRingError);
  });

  it('derives independent subkeys per purpose and per key, and forgets those of a retired key', () => {
    const ring = KeyRing.generate();
    const a = ring.subkey('field').export();
    const b = ring.subkey('mac').export();
    expect(a.equals(b)).toBe(false);
    const old = ring.active.kid;
    ring.rotate();
    expect(ring.subkey('field').export().equals(a)).toBe(false);
    expect(ring.subkey('field', old).export().equals(a)).toBe(true);
    ring.retire(old);
    expect(() => ring.subkey('field', old)).toThrow(KeyRingError);
  });

  it('notifies listeners on change, so dependent caches can be emptied', () => {
    const ring = KeyRing.generate();
    const changes: string[] = [];
    const stop = ring.onChange((change) => changes.push(`${change.type}:${change.kid}`));
    const old = ring.active.kid;
    ring.rotate();
    ring.retire(old);
    stop();
    ring.rotate();
    expect(changes).toEqual(['rotated:k-2', `retired:${old}`]);
  });

  it('loads from the environment and round-trips through exportDocument', () => {
    const document = { active: 'k-2', keys: { 'k-1': secret(), 'k-2': secret() } };
    const ring = KeyRing.fromEnv('RAMPART_KEYRING', { RAMPART_KEYRING: JSON.stringify(document) });
    expect(ring.active.kid).toBe('k-2');
    expect(ring.exportDocument()).toEqual(document);
    expect(() => KeyRing.fromEnv('RAMPART_KEYRING', {})).toThrow(ConfigurationError);
    expect(() => KeyRing.fromEnv('X', { X: '{nope' })).toThrow(ConfigurationError);
    expect(() => KeyRing.fromEnv('X', { X: '{"active":"a","keys":{"a":42}}' })).toThrow(ConfigurationError);
  });

  it('never serializes secrets through JSON.stringify', () => {
    const ring = KeyRing.generate();
    const exported = ring.exportDocument().keys[ring.active.kid] ?? '';
    expect(JSON.stringify(ring)).not.toContain(exported);
    expect(JSON.stringify({ key: ring.active })).not.toContain(exported);
  });

  it('loads from a file only when other users cannot read it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-keys-'));
    const path = join(dir, 'keys.json');
    writeFileSync(path, JSON.stringify({ active: 'a', keys: { a: secret() } }));
    chmodSync(path, 0o644);
    expect(() => KeyRing.fromFile(path)).toThrow(/chmod 600/);
    expect(KeyRing.fromFile(path, { allowInsecureFileMode: true }).active.kid).toBe('a');
    chmodSync(path, 0o600);
    expect(KeyRing.fromFile(path).active.kid).toBe('a');
  });
});
