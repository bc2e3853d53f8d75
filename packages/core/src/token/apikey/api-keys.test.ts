import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { KeyRing } from '../../crypto/keyring.js';
import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { ApiKeys, type ApiKeysOptions } from './api-keys.js';
import { BASE62_ALPHABET } from './base62.js';
import { formatApiKey, generateApiKeyParts, parseApiKey } from './format.js';
import { MemoryApiKeyStore } from './memory-store.js';
import type { ApiKeyRecord, ApiKeyStore } from './store.js';

const DAY = 24 * 60 * 60 * 1000;

/** Wraps a store, counting lookups and letting a test tamper with what is read (a database-write attacker). */
class CountingStore implements ApiKeyStore {
  lookups = 0;
  tamper: ((record: ApiKeyRecord) => ApiKeyRecord) | undefined;
  constructor(readonly inner: ApiKeyStore = new MemoryApiKeyStore()) {}
  insert(record: ApiKeyRecord) {
    return this.inner.insert(record);
  }
  async findById(id: string) {
    this.lookups += 1;
    const record = await this.inner.findById(id);
    return record === undefined || this.tamper === undefined ? record : this.tamper(record);
  }
  markUsed(id: string, at: number, rehash?: { hash: string; hashKid: string }) {
    return this.inner.markUsed(id, at, rehash);
  }
  revoke(id: string, at: number) {
    return this.inner.revoke(id, at);
  }
  listBySubject(subject: string) {
    return this.inner.listBySubject(subject);
  }
}

function setup(options: Partial<ApiKeysOptions> = {}) {
  const clock = new ManualClock();
  const store = new CountingStore();
  const ring = KeyRing.generate();
  const events: SecurityEvent[] = [];
  const keys = new ApiKeys({ store, ring, clock, events: (e) => events.push(e), ...options });
  return { clock, store, ring, events, keys };
}

function flip(key: string, index: number): string {
  const c = key[index] === 'a' ? 'b' : 'a';
  return key.slice(0, index) + c + key.slice(index + 1);
}

describe('ApiKeys', () => {
  it('creates a key, verifies it, returns the record without its hash and records the last use', async () => {
    const { keys, clock, events } = setup();
    const { key, info } = await keys.create({ subject: 'svc-1', scopes: ['orders:read', 'orders:read', 'orders:write'], name: 'CI' });
    expect(key).toMatch(/^rpk_[0-9A-Za-z]{22}_[0-9A-Za-z]{49}$/);
    expect(info).toEqual({ id: info.id, prefix: 'rpk', subject: 'svc-1', name: 'CI', scopes: ['orders:read', 'orders:write'], createdAt: clock.now(), expiresAt: clock.now() + 90 * DAY });
    clock.advance(DAY);
    const result = await keys.verify(key);
    expect(result).toEqual({ ok: true, value: { ...info, lastUsedAt: clock.now() } });
    expect(result.ok && 'hash' in result.value).toBe(false);
    expect((await keys.list('svc-1'))[0]?.lastUsedAt).toBe(clock.now());
    expect(events.map((e) => [e.type, e.subject, e.attributes])).toEqual([['token.apikey.created', 'svc-1', { keyId: info.id }]]);
    expect(JSON.stringify(events)).not.toContain(key.split('_')[2]);
  });

  it('attack: a database leak yields no key: only a keyed hash of it is stored', async () => {
    const { keys, store } = setup();
    const { key, info } = await keys.create({ subject: 'svc-1' });
    const stored = await store.inner.findById(info.id);
    const parsed = parseApiKey(key);
    if (!parsed.ok) throw new Error('unparseable');
    expect(JSON.stringify(stored)).not.toContain(parsed.value.secret);
    expect(stored?.hash).not.toBe(createHash('sha256').update(key.slice(0, -6)).digest('base64url'));
  });

  it('attack: a key with one flipped character is refused by the checksum, with no store lookup', async () => {
    const { keys, store } = setup();
    const { key } = await keys.create({ subject: 'svc-1' });
    const lookupsBefore = store.lookups;
    for (let i = 4; i < key.length; i += 1) {
      if (key[i] === '_') continue;
      expect(await keys.verify(flip(key, i))).toEqual({ ok: false, reason: 'bad_checksum' });
    }
    expect(store.lookups).toBe(lookupsBefore);
    expect((await keys.verify(key)).ok).toBe(true);
    expect(store.lookups).toBe(lookupsBefore + 1);
  });

  it('attack: brute force of the secret with valid checksums only ever gets "mismatch"', async () => {
    const { keys, store } = setup();
    const { key, info } = await keys.create({ subject: 'svc-1' });
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const guess = formatApiKey({ ...generateApiKeyParts('rpk'), id: info.id });
      expect(await keys.verify(guess)).toEqual({ ok: false, reason: 'mismatch' });
    }
    expect(store.lookups).toBe(200); // each guess passed the checksum and reached the constant-time compare
    // A guess one character away from the real secret, with a correct checksum, fails the same way.
    const parsed = parseApiKey(key);
    if (!parsed.ok) throw new Error('unparseable');
    const near = formatApiKey({ ...parsed.value, secret: flip(parsed.value.secret, 0) });
    expect(await keys.verify(near)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('attack: guessed ids are unknown', async () => {
    const { keys } = setup();
    await keys.create({ subject: 'svc-1' });
    expect(await keys.verify(formatApiKey(generateApiKeyParts('rpk')))).toEqual({ ok: false, reason: 'unknown' });
  });

  it('attack: a hash copied onto another row, or a planted unkeyed hash, does not verify (database-write attacker)', async () => {
    const { keys, store } = setup();
    const mine = await keys.create({ subject: 'attacker' });
    const admin = await keys.create({ subject: 'admin', scopes: ['admin'] });
    const myRecord = await store.inner.findById(mine.info.id);
    const mineParsed = parseApiKey(mine.key);
    if (!mineParsed.ok || myRecord === undefined) throw new Error('setup');
    // Copy my hash onto the admin row, then present the admin id with my secret.
    store.tamper = (r) => (r.id === admin.info.id ? { ...r, hash: myRecord.hash } : r);
    const forged = formatApiKey({ ...mineParsed.value, id: admin.info.id });
    expect(await keys.verify(forged)).toEqual({ ok: false, reason: 'mismatch' });
    // Plant a SHA-256 of a key of my choosing on the admin row.
    const chosen = { prefix: 'rpk', id: admin.info.id, secret: generateApiKeyParts().secret };
    const planted = createHash('sha256').update(`rpk_${chosen.id}_${chosen.secret}`).digest('base64url');
    store.tamper = (r) => (r.id === admin.info.id ? { ...r, hash: planted } : r);
    expect(await keys.verify(formatApiKey(chosen))).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('attack: revoked and expired keys are refused; their state is revealed only to the holder of the secret', async () => {
    const { keys, clock, events } = setup();
    const revoked = await keys.create({ subject: 'svc-1' });
    const expiring = await keys.create({ subject: 'svc-1', ttlMs: DAY });
    expect(await keys.revoke(revoked.info.id)).toBe(true);
    expect(await keys.revoke(revoked.info.id)).toBe(false);
    expect(await keys.revoke('no-such-id')).toBe(false);
    expect(await keys.verify(revoked.key)).toEqual({ ok: false, reason: 'revoked' });
    expect(events.filter((e) => e.type === 'token.apikey.revoked').map((e) => e.attributes)).toEqual([{ keyId: revoked.info.id }]);

    expect((await keys.verify(expiring.key)).ok).toBe(true);
    clock.advance(DAY);
    expect(await keys.verify(expiring.key)).toEqual({ ok: false, reason: 'expired' });

    const wrongSecret = formatApiKey({ ...generateApiKeyParts('rpk'), id: revoked.info.id });
    expect(await keys.verify(wrongSecret)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('keeps verifying across ring rotation, moving the hash to the active key on use', async () => {
    const { keys, ring, store } = setup();
    const used = await keys.create({ subject: 'svc-1' });
    const idle = await keys.create({ subject: 'svc-2' });
    const old = ring.active.kid;
    const fresh = ring.rotate();
    expect((await keys.verify(used.key)).ok).toBe(true);
    expect((await store.inner.findById(used.info.id))?.hashKid).toBe(fresh.kid);
    ring.retire(old);
    expect((await keys.verify(used.key)).ok).toBe(true);
    // A key never used since rotation was hashed only under the retired key: it no longer verifies (fail closed).
    expect(await keys.verify(idle.key)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('never throws on arbitrary input and returns a typed failure (property)', async () => {
    const { keys } = setup();
    const { key } = await keys.create({ subject: 'svc-1' });
    const near = fc.tuple(fc.nat(key.length - 1), fc.constantFrom(...`${BASE62_ALPHABET}_`.split(''))).map(([i, c]) => key.slice(0, i) + c + key.slice(i + 1));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.anything(), near), async (value) => {
        fc.pre(value !== key);
        const result = await keys.verify(value);
        expect(result.ok).toBe(false);
        expect(['malformed', 'bad_checksum', 'unknown', 'mismatch']).toContain(result.ok ? '' : result.reason);
      }),
      { numRuns: 500 },
    );
    for (const value of [null, undefined, 0, {}, [key], { key }, Symbol('k')]) expect((await keys.verify(value)).ok).toBe(false);
  });

  it('expires by default and makes "never expires" an explicit, named choice', async () => {
    const { keys, clock } = setup();
    const forever = await keys.create({ subject: 'svc-1', neverExpires: true });
    expect(forever.info.expiresAt).toBeUndefined();
    clock.advance(3650 * DAY);
    expect((await keys.verify(forever.key)).ok).toBe(true);
  });

  it('refuses unsafe configuration and input', async () => {
    const store = new MemoryApiKeyStore();
    const ring = KeyRing.generate();
    for (const prefix of ['', 'x', 'RPK', 'r_k', 'toolongprefix']) expect(() => new ApiKeys({ store, ring, prefix })).toThrow(ConfigurationError);
    expect(() => new ApiKeys({ store, ring, defaultTtlMs: 500 * DAY })).toThrow(ConfigurationError);
    const keys = new ApiKeys({ store, ring, prefix: 'acme' });
    await expect(keys.create({ subject: '' })).rejects.toThrow(ConfigurationError);
    await expect(keys.create({ subject: 's', scopes: ['has space'] })).rejects.toThrow(ConfigurationError);
    await expect(keys.create({ subject: 's', ttlMs: 500 * DAY })).rejects.toThrow(ConfigurationError);
    await expect(keys.create({ subject: 's', ttlMs: DAY, neverExpires: true })).rejects.toThrow(ConfigurationError);
    const { key } = await keys.create({ subject: 's' });
    expect(key.startsWith('acme_')).toBe(true);
    // A well-formed key of another prefix is not one of ours.
    expect(await keys.verify(`rpk${key.slice(4)}`)).toEqual({ ok: false, reason: 'malformed' });
  });
});
