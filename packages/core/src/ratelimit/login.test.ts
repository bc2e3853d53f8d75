import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { ConfigurationError } from '../errors.js';
import { CircuitBreaker } from './breaker.js';
import { loginThrottle, type LoginThrottleOptions } from './login.js';
import { MemoryRateLimitStore } from './memory-store.js';
import { gcra } from './policy.js';
import { CountingStore, eventLog } from './testing.fixtures.js';

function setup(extra: Partial<LoginThrottleOptions> = {}) {
  const clock = new ManualClock();
  const store = new MemoryRateLimitStore({ clock });
  const log = eventLog();
  const throttle = loginThrottle({
    store,
    perAccount: { freeAttempts: 3, delaysSeconds: [1, 2, 4], lockAfter: 6, lockSeconds: 900 },
    events: log.sink,
    ...extra,
  });
  return { clock, store, log, throttle };
}

/** One failed login attempt as an application makes it: check, then (if allowed) a wrong password. */
async function fail(throttle: ReturnType<typeof loginThrottle>, account: string, ip = '203.0.113.9') {
  const check = await throttle.check(account, ip);
  if (check.allowed) await throttle.recordFailure(account, ip);
  return check;
}

describe('loginThrottle', () => {
  it('free attempts, then progressive delays, then a lock; events name the account only by its opaque id', async () => {
    const { clock, throttle, log } = setup();
    for (let i = 0; i < 3; i++) expect((await fail(throttle, 'alice')).allowed).toBe(true);
    expect(await fail(throttle, 'alice')).toEqual({ allowed: false, reason: 'throttled', retryAfterSeconds: 1 });
    clock.advance(1_000);
    expect((await fail(throttle, 'alice')).allowed).toBe(true);
    expect(await fail(throttle, 'alice')).toEqual({ allowed: false, reason: 'throttled', retryAfterSeconds: 2 });
    clock.advance(2_000);
    expect((await fail(throttle, 'alice')).allowed).toBe(true);
    clock.advance(4_000);
    expect((await fail(throttle, 'alice')).allowed).toBe(true); // the 6th attempt: the lock starts
    expect(await fail(throttle, 'alice')).toEqual({ allowed: false, reason: 'locked', retryAfterSeconds: 900 });
    clock.advance(899_000);
    expect(await fail(throttle, 'alice')).toEqual({ allowed: false, reason: 'locked', retryAfterSeconds: 1 });
    expect(log.types().filter((type) => type === 'auth.login.locked')).toHaveLength(1);
    const subjects = new Set(log.events.map((event) => event.subject).filter((subject) => subject !== undefined));
    expect([...subjects]).toEqual([throttle.accountId('alice')]);
    expect(JSON.stringify(log.events)).not.toContain('alice');
  });

  it('a successful login resets the account counter but not the address rate', async () => {
    const { throttle } = setup({ perIp: gcra(5, 900) });
    for (let i = 0; i < 3; i++) await fail(throttle, 'alice');
    expect((await throttle.check('alice', '203.0.113.9')).allowed).toBe(false);
    await throttle.recordSuccess('alice', '203.0.113.9');
    expect((await throttle.check('alice', '203.0.113.9')).allowed).toBe(true);
    // 5 address attempts are spent (4 checks counted + this one): a success did not launder them.
    expect(await throttle.check('bob', '203.0.113.9')).toMatchObject({ allowed: false, reason: 'throttled' });
  });

  it('attack: an unknown account and a known one are indistinguishable', async () => {
    // The throttle never learns which accounts exist; the same schedule gives the same answers for any two names.
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 30 }), fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 15 }), async (name, gaps) => {
        const known = setup();
        const unknown = setup();
        for (const gap of gaps) {
          known.clock.advance(gap);
          unknown.clock.advance(gap);
          expect(await fail(unknown.throttle, `no-such-${name}`)).toEqual(await fail(known.throttle, 'alice@example.com'));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('attack: case, width and whitespace variants of a name share one counter', async () => {
    const { throttle } = setup();
    for (const variant of ['Alice@Example.com', 'alice@example.com ', ' ALICE@EXAMPLE.COM']) await fail(throttle, variant);
    expect((await fail(throttle, 'ａｌｉｃｅ@ｅｘａｍｐｌｅ.ｃｏｍ')).allowed).toBe(false);
  });

  it('attack: a thousand parallel guesses cannot slip through one check', async () => {
    const { throttle } = setup({ perIp: gcra(10_000, 60) });
    const checks = await Promise.all(Array.from({ length: 1_000 }, () => throttle.check('alice', '203.0.113.9')));
    expect(checks.filter((check) => check.allowed)).toHaveLength(3);
  });

  it('attack: spraying many accounts from one address hits the address rate', async () => {
    const { throttle } = setup({ perIp: gcra(20, 900) });
    const results = [];
    for (let i = 0; i < 100; i++) results.push(await fail(throttle, `user${i}@example.com`));
    expect(results.filter((result) => result.allowed)).toHaveLength(20);
  });

  it('attack: rotating IPv6 addresses within a /64 does not reset the address rate', async () => {
    const { throttle } = setup({ perIp: gcra(5, 900) });
    const results = [];
    for (let i = 0; i < 30; i++) results.push(await fail(throttle, `user${i}`, `2001:db8:0:1::${i.toString(16)}`));
    expect(results.filter((result) => result.allowed)).toHaveLength(5);
  });

  it('store unavailable: refuses every attempt (fail closed) and stops calling the store once the breaker opens', async () => {
    const clock = new ManualClock();
    const store = new CountingStore(new MemoryRateLimitStore({ clock }));
    const log = eventLog();
    const throttle = loginThrottle({ store, breaker: new CircuitBreaker({ failures: 2, openSeconds: 60, clock }), events: log.sink });
    store.down = true;
    for (let i = 0; i < 50; i++) {
      expect(await throttle.check('alice', '203.0.113.9')).toEqual({ allowed: false, reason: 'unavailable', retryAfterSeconds: 60 });
    }
    expect(store.calls).toBe(2);
    expect(log.types()).toEqual(['ratelimit.store_unavailable']);
  });

  it('fails open only by name, reporting the loosening', async () => {
    const store = new CountingStore(new MemoryRateLimitStore());
    const log = eventLog();
    const throttle = loginThrottle({ store, onStoreError: 'open', events: log.sink });
    store.down = true;
    expect(await throttle.check('alice', '203.0.113.9')).toEqual({ allowed: true });
    expect(log.types()[0]).toBe('config.loosened');
  });

  it('HMAC account ids differ from plain SHA-256 ids and need a 32-byte key', () => {
    const store = new MemoryRateLimitStore();
    const plain = loginThrottle({ store });
    const keyed = loginThrottle({ store, accountKey: new Uint8Array(32).fill(7) });
    expect(keyed.accountId('alice')).not.toBe(plain.accountId('alice'));
    expect(keyed.accountId('Alice ')).toBe(keyed.accountId('alice'));
    expect(() => loginThrottle({ store, accountKey: new Uint8Array(16) })).toThrow(ConfigurationError);
    expect(() => loginThrottle({ store, perAccount: { freeAttempts: 10, lockAfter: 10 } })).toThrow(ConfigurationError);
  });
});
