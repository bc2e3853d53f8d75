import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { ConfigurationError } from '../errors.js';
import { createChain } from '../http/chain/chain.js';
import { CONTINUE, type Guard } from '../http/chain/types.js';
import { problemBody } from '../http/problem/problem.js';
import { CircuitBreaker } from './breaker.js';
import { rateLimit } from './guard.js';
import { addressKey, RATE_LIMIT_API_KEY_ID, RATE_LIMIT_PRINCIPAL } from './keys.js';
import { MemoryRateLimitStore } from './memory-store.js';
import { gcra, slidingWindow } from './policy.js';
import { CountingStore, eventLog, request, settle } from './testing.fixtures.js';

function limited(limit: number, extra: Partial<Parameters<typeof rateLimit>[0]> = {}, before: Guard[] = []) {
  const log = eventLog();
  const store = new MemoryRateLimitStore({ clock: new ManualClock() });
  const chain = createChain({ guards: [...before, rateLimit({ store, policy: gcra(limit, 60), ...extra })], events: log.sink });
  const run = async (input = request('203.0.113.9')) => settle(chain.run(input));
  return { run, log, store };
}

describe('rateLimit guard: responses', () => {
  it('sets RateLimit and RateLimit-Policy (draft-11 structured fields) on every answer', async () => {
    const { run } = limited(3, { name: 'api' });
    const first = await run();
    expect(first.verdict).toBe(CONTINUE);
    expect(first.headers.get('ratelimit-policy')).toBe('"api";q=3;w=60');
    expect(first.headers.get('ratelimit')).toBe('"api";r=2;t=20');
    await run();
    await run();
    const refused = await run();
    expect(refused.headers.get('ratelimit')).toBe('"api";r=0;t=60');
  });

  it('refuses with a 429 problem, Retry-After and one ratelimit.exceeded event', async () => {
    const { run, log } = limited(1);
    await run();
    const outcome = await run(request('203.0.113.9', { 'x-evil': '<script>' }, '/api?q=<script>alert(1)</script>'));
    expect(outcome.verdict.action).toBe('deny');
    if (outcome.verdict.action !== 'deny') return;
    const { problem } = outcome.verdict;
    expect(problem.status).toBe(429);
    expect(problem.headers).toEqual({ 'retry-after': '60' });
    expect(problem.code).toBe('ratelimit.exceeded');
    // The refusal echoes nothing of the request.
    expect(JSON.stringify(problemBody(problem, 'id'))).not.toMatch(/script|203\.0/);
    expect(log.types()).toEqual(['ratelimit.exceeded']);
    expect(log.events[0]?.attributes).toMatchObject({ limiter: 'default', clientIp: '203.0.113.9', retryAfterSeconds: 60 });
  });

  it('charges a per-request cost', async () => {
    const { run } = limited(10, { cost: (request) => (request.path === '/export' ? 10 : 1) });
    expect((await run(request('203.0.113.9', {}, '/export'))).verdict.action).toBe('continue');
    expect((await run()).verdict.action).toBe('deny');
  });

  it('rejects unsafe configuration at build time', () => {
    const store = new MemoryRateLimitStore();
    const policy = gcra(1, 1);
    expect(() => rateLimit({ store, policy, name: '"; q=9999' })).toThrow(ConfigurationError);
    expect(() => rateLimit({ store, policy, cost: 0 })).toThrow(ConfigurationError);
    expect(() => rateLimit({ store, policy, ipv6PrefixLength: 0 })).toThrow(ConfigurationError);
    expect(() => rateLimit({ store, policy, onStoreError: 'off' as 'open' })).toThrow(ConfigurationError);
  });
});

describe('rateLimit guard: keys (attacks)', () => {
  it('attack: a spoofed X-Forwarded-For does not change the key (default resolver trusts no proxy)', async () => {
    const { run } = limited(2);
    await run();
    await run();
    await fc.assert(
      fc.asyncProperty(fc.ipV4(), fc.ipV6(), async (v4, v6) => {
        const outcome = await run(request('203.0.113.9', { 'x-forwarded-for': v4, forwarded: `for="[${v6}]"`, 'x-real-ip': v4 }));
        expect(outcome.verdict.action).toBe('deny');
      }),
      { numRuns: 50 },
    );
  });

  it('attack: rotating IPv6 addresses inside one /64 shares one quota', async () => {
    const { run } = limited(5);
    const admitted = [];
    for (let i = 0; i < 50; i++) {
      const outcome = await run(request(`2001:db8:1:2:${i.toString(16)}:${(i * 7).toString(16)}::${(i * 13).toString(16)}`));
      if (outcome.verdict.action === 'continue') admitted.push(i);
    }
    expect(admitted).toHaveLength(5);
    // A different /64 is a different client.
    expect((await run(request('2001:db8:1:3::1'))).verdict.action).toBe('continue');
  });

  it('attack: IPv4-mapped IPv6 and plain IPv4 of one client share one quota', async () => {
    const { run } = limited(2);
    await run(request('192.0.2.1'));
    await run(request('::ffff:192.0.2.1'));
    expect((await run(request('::ffff:c000:201'))).verdict.action).toBe('deny');
  });

  it('addressKey: every address of one IPv6 /64, in any spelling, gives one key; other /64s differ', () => {
    const hextet = fc.integer({ min: 0, max: 0xffff }).map((value) => value.toString(16));
    fc.assert(
      fc.property(fc.array(hextet, { minLength: 8, maxLength: 8 }), fc.array(hextet, { minLength: 4, maxLength: 4 }), (address, low) => {
        const high = address.slice(0, 4);
        // Skip the IPv4-mapped range, which is keyed as IPv4.
        fc.pre(!(high.join(':') === '0:0:0:0' && ['ffff', '0'].includes(address[5] ?? '')));
        const key = addressKey(address.join(':'));
        expect(addressKey([...high, ...low].join(':').toUpperCase())).toBe(key);
        expect(key.endsWith('/64')).toBe(true);
        const other = [...high.slice(0, 3), ((Number.parseInt(high[3] ?? '0', 16) + 1) & 0xffff).toString(16), ...low];
        expect(addressKey(other.join(':'))).not.toBe(key);
      }),
    );
    expect(addressKey('2001:db8::1')).toBe(addressKey('2001:0db8:0000:0000:ffff:ffff:ffff:ffff'));
    expect(addressKey('2001:db8::1', 128)).not.toBe(addressKey('2001:db8::2', 128));
    expect(addressKey('x'.repeat(500)).length).toBeLessThanOrEqual(64);
    expect(addressKey('fe80::1%eth0')).toBe(addressKey('fe80::2'));
  });

  it('attack: fake API keys in headers do not buy fresh quotas; only a verified key id does', async () => {
    const { run } = limited(3, { key: 'api-key' });
    for (let i = 0; i < 3; i++) await run(request('203.0.113.9', { 'x-api-key': `fake-${i}`, authorization: `Bearer fake-${i}` }));
    expect((await run(request('203.0.113.9', { 'x-api-key': 'fake-99' }))).verdict.action).toBe('deny');
  });

  it('principal: a verified principal gets its own quota wherever it connects from', async () => {
    let principal: string | undefined = 'alice@example.com';
    const authn: Guard = (_request, context) => {
      if (principal !== undefined) context.set(RATE_LIMIT_PRINCIPAL, principal);
      return CONTINUE;
    };
    const { run, store } = limited(2, { key: 'principal' }, [authn]);
    await run(request('203.0.113.1'));
    await run(request('198.51.100.2'));
    expect((await run(request('192.0.2.3'))).verdict.action).toBe('deny');
    principal = 'bob@example.com';
    expect((await run(request('203.0.113.1'))).verdict.action).toBe('continue');
    // Anonymous requests fall back to the address.
    principal = undefined;
    expect((await run(request('203.0.113.1'))).verdict.action).toBe('continue');
    expect(store.size).toBe(3);
  });

  it('api-key: a verified key id counts per key, and the key id never appears in the store in clear', async () => {
    const authn: Guard = (request, context) => {
      const id = request.header('x-key-id');
      if (id !== undefined) context.set(RATE_LIMIT_API_KEY_ID, id);
      return CONTINUE;
    };
    const store = new MemoryRateLimitStore();
    const seen: string[] = [];
    const spy = { consume: (key: string, cost: number, policy: ReturnType<typeof gcra>) => (seen.push(key), store.consume(key, cost, policy)), reset: () => undefined };
    const chain = createChain({ guards: [authn, rateLimit({ store: spy, policy: gcra(1, 60), key: 'api-key' })] });
    await settle(chain.run(request('203.0.113.9', { 'x-key-id': 'rpk_secret_id' })));
    expect(seen[0]).toMatch(/^default:k:[A-Za-z0-9_-]{27}$/);
  });

  it('route: one shared quota whatever the path spelling', async () => {
    const { run } = limited(2, { key: 'route' });
    await run(request('203.0.113.1', {}, '/login'));
    await run(request('198.51.100.2', {}, '//LOGIN/'));
    expect((await run(request('192.0.2.3', {}, '/login?x=1'))).verdict.action).toBe('deny');
  });

  it('a custom key function that returns nothing falls back to the address, and long keys are hashed', async () => {
    const keys: string[] = [];
    const store = new MemoryRateLimitStore();
    const spy = { consume: (key: string, cost: number, policy: ReturnType<typeof gcra>) => (keys.push(key), store.consume(key, cost, policy)), reset: () => undefined };
    const chain = createChain({ guards: [rateLimit({ store: spy, policy: gcra(5, 60), key: (request) => request.header('x-tenant') })] });
    await settle(chain.run(request('203.0.113.9')));
    await settle(chain.run(request('203.0.113.9', { 'x-tenant': 't'.repeat(10_000) })));
    expect(keys[0]).toBe('default:ip:203.0.113.9');
    expect(keys[1]?.length).toBeLessThan(50);
  });
});

describe('rateLimit guard: store failure', () => {
  function failing(onStoreError: 'closed' | 'open' | undefined) {
    const clock = new ManualClock();
    const store = new CountingStore(new MemoryRateLimitStore({ clock }));
    const breaker = new CircuitBreaker({ failures: 3, openSeconds: 30, clock });
    const log = eventLog();
    const chain = createChain({
      guards: [rateLimit({ store, policy: slidingWindow(100, 60), breaker, ...(onStoreError === undefined ? {} : { onStoreError }) })],
      events: log.sink,
    });
    return { clock, store, breaker, log, run: () => settle(chain.run(request('203.0.113.9'))) };
  }

  it('fails closed by default: 503 with Retry-After, nothing of the error', async () => {
    const { store, run } = failing(undefined);
    store.down = true;
    const outcome = await run();
    expect(outcome.verdict.action).toBe('deny');
    if (outcome.verdict.action !== 'deny') return;
    expect(outcome.verdict.problem.status).toBe(503);
    expect(outcome.verdict.problem.headers).toEqual({ 'retry-after': '30' });
    expect(JSON.stringify(outcome.verdict.problem)).not.toMatch(/store down/);
  });

  it('fails open only when named, and reports the loosening once at build', () => {
    const log = eventLog();
    rateLimit({ store: new MemoryRateLimitStore(), policy: gcra(1, 1), onStoreError: 'open', events: log.sink });
    expect(log.types()).toEqual(['config.loosened']);
  });

  it('breaker: after K failures the store is not called at all; one probe later closes it again', async () => {
    for (const policy of ['closed', 'open'] as const) {
      const { clock, store, breaker, log, run } = failing(policy);
      store.down = true;
      for (let i = 0; i < 3; i++) await run();
      expect(breaker.state).toBe('open');
      expect(store.calls).toBe(3);
      for (let i = 0; i < 1_000; i++) {
        const outcome = await run();
        expect(outcome.verdict.action).toBe(policy === 'open' ? 'continue' : 'deny');
      }
      expect(store.calls).toBe(3);
      // Half-open: one probe; it fails, so the breaker opens again without further calls.
      clock.advance(30_000);
      await run();
      await run();
      expect(store.calls).toBe(4);
      expect(breaker.state).toBe('open');
      // The store recovers: the next probe closes the breaker and counting resumes.
      store.down = false;
      clock.advance(30_000);
      expect((await run()).verdict.action).toBe('continue');
      expect(breaker.state).toBe('closed');
      expect(store.calls).toBe(5);
      // Events on transitions only: open, open again, closed.
      expect(log.events.map((event) => `${event.type}:${String(event.attributes?.breaker)}`)).toEqual([
        'ratelimit.store_unavailable:open',
        'ratelimit.store_unavailable:open',
        'ratelimit.store_unavailable:closed',
      ]);
    }
  });

  it('a store that throws synchronously fails closed too', async () => {
    const store = { consume: () => { throw new Error('boom'); }, reset: () => undefined };
    const chain = createChain({ guards: [rateLimit({ store, policy: gcra(1, 1) })] });
    const outcome = await settle(chain.run(request('203.0.113.9')));
    expect(outcome.verdict.action === 'deny' && outcome.verdict.problem.status).toBe(503);
  });
});
