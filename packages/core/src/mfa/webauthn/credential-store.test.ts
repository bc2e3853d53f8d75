import { describe, expect, it } from 'vitest';
import { InMemoryWebAuthnCredentialStore, type StoredWebAuthnCredential } from './credential-store.js';

const credential = (id: string, userId: string, counter = 0): StoredWebAuthnCredential => ({
  id,
  userId,
  publicKey: new Uint8Array([1, 2, 3]),
  counter,
  transports: ['usb'],
  deviceType: 'singleDevice',
  backedUp: false,
  aaguid: '00000000-0000-0000-0000-000000000000',
  createdAt: new Date(0),
});

const use = (counter: number) => ({ counter, backedUp: false, lastUsedAt: new Date(1) });

describe('InMemoryWebAuthnCredentialStore', () => {
  it('ATTACK: create refuses an id that already exists, whoever owns it', async () => {
    const store = new InMemoryWebAuthnCredentialStore();
    expect(await store.create(credential('c1', 'a'))).toBe(true);
    expect(await store.create(credential('c1', 'b'))).toBe(false);
    expect((await store.findById('c1'))?.userId).toBe('a');
  });

  it('lists credentials by user and by id', async () => {
    const store = new InMemoryWebAuthnCredentialStore();
    await store.create(credential('c1', 'a'));
    await store.create(credential('c2', 'a'));
    await store.create(credential('c3', 'b'));
    expect((await store.listByUser('a')).map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(await store.findById('nope')).toBeUndefined();
  });

  it('ATTACK: recordUse is a compare-and-set on the counter and refuses flagged credentials', async () => {
    const store = new InMemoryWebAuthnCredentialStore();
    await store.create(credential('c1', 'a', 5));
    expect(await store.recordUse('c1', 4, use(9))).toBe(false);
    expect(await store.recordUse('c1', 5, use(6))).toBe(true);
    expect(await store.recordUse('c1', 5, use(6))).toBe(false);
    expect(await store.findById('c1')).toMatchObject({ counter: 6, lastUsedAt: new Date(1) });
    await store.flag('c1', 'counter_regression', new Date(2));
    expect(await store.recordUse('c1', 6, use(7))).toBe(false);
    expect(await store.recordUse('missing', 0, use(1))).toBe(false);
  });

  it('returns copies: mutating a result does not change what is stored', async () => {
    const store = new InMemoryWebAuthnCredentialStore();
    await store.create(credential('c1', 'a'));
    const found = await store.findById('c1');
    found?.publicKey.fill(0);
    expect(Array.from((await store.findById('c1'))?.publicKey ?? [])).toEqual([1, 2, 3]);
  });

  it('deletes', async () => {
    const store = new InMemoryWebAuthnCredentialStore();
    await store.create(credential('c1', 'a'));
    await store.delete('c1');
    expect(await store.findById('c1')).toBeUndefined();
  });
});
