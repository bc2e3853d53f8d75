import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import type { SecurityEvent, SecurityEventType } from '../events.js';
import { harness, MONDAY_10, type Attributes } from './stream.fixtures.js';
import {
  bruteForceDetector,
  createDetectors,
  MemoryFirstSeenStore,
  MemoryWindowCounter,
  refreshReuseDetector,
  type Detector,
} from './index.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const WEEK = 7 * 24 * HOUR;

describe('a benign day raises no alert', () => {
  it('normal logins, occasional typos, a user on two known devices, office-hours admin work', async () => {
    const firstSeen = new MemoryFirstSeenStore();
    const locate = (ip: string): string | undefined => (ip.startsWith('198.51.100.') ? 'DE' : ip.startsWith('203.0.113.') ? 'AT' : undefined);
    const h = harness({ firstSeen, newCountry: { locate } }, MONDAY_10 - WEEK - HOUR);
    const users = Array.from({ length: 30 }, (_, i) => `acct-${i}`);
    const laptop = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';
    const phone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Safari/604.1';

    // Last week: every account signed in once, alice from her laptop, her phone and from home (another country).
    for (const user of users) await h.emit('auth.login.succeeded', user, { clientIp: '198.51.100.10', userAgent: laptop }, MINUTE);
    await h.emit('auth.login.succeeded', 'alice', { clientIp: '198.51.100.10', userAgent: laptop }, MINUTE);
    await h.emit('auth.login.succeeded', 'alice', { clientIp: '198.51.100.10', userAgent: phone }, 2 * HOUR);
    await h.emit('auth.login.succeeded', 'alice', { clientIp: '203.0.113.5', userAgent: phone }, 2 * HOUR);
    // Learning her second device and her home country raised their alerts last week.
    expect(h.raised().map((a) => a.detector)).toEqual(['new_device', 'new_country']);
    h.alerts.length = 0;
    const learned = h.detectors.stats().alerts;

    // Today, 09:00 onwards, everyone behind the office NAT.
    h.clock.set(MONDAY_10 - HOUR);
    for (let round = 0; round < 3; round += 1) {
      for (const [index, user] of users.entries()) {
        if (index % 7 === round) await h.emit('auth.login.failed', user, { clientIp: '198.51.100.10' }, 20 * SECOND); // a typo
        await h.emit('auth.login.succeeded', user, { clientIp: '198.51.100.10', userAgent: laptop }, 40 * SECOND);
        await h.emit('token.refresh.rotated', user, { familyId: `fam-${user}` }, 5 * SECOND);
      }
      await h.emit('auth.login.succeeded', 'alice', { clientIp: '198.51.100.10', userAgent: round % 2 === 0 ? laptop : phone }, MINUTE);
      await h.emit('auth.login.failed', 'alice', { clientIp: '203.0.113.5' }, MINUTE);
      await h.emit('auth.login.succeeded', 'alice', { clientIp: '203.0.113.5', userAgent: phone }, MINUTE);
      await h.emit('authz.denied', 'acct-3', { action: 'delete', kind: 'invoice', resourceId: 'inv-1', status: 403 }, MINUTE);
    }
    await h.emit('keyring.rotated', 'admin-1', { keyId: 'k-2026-01' }, HOUR);
    await h.emit('token.apikey.created', 'admin-1', { apiKeyId: 'ak-42' }, HOUR);
    await h.emit('authz.policy.reloaded', undefined, { version: '12' }, HOUR);

    expect(h.detectors.stats()).toMatchObject({ alerts: learned, failures: 0, dropped: 0 });
    expect(h.alerts).toEqual([]);
  });
});

describe('the sink protects its caller', () => {
  const throwing: Detector = {
    name: 'broken',
    types: ['auth.login.failed'],
    inspect: () => {
      throw new Error('detector bug');
    },
  };
  const rejecting: Detector = {
    name: 'broken_async',
    types: ['auth.login.failed'],
    inspect: () => Promise.reject(new Error('store down')),
  };

  it('a throwing detector, alert sink and error reporter break neither the others nor the caller', async () => {
    const clock = new ManualClock(MONDAY_10);
    const delivered: SecurityEvent[] = [];
    const where: string[] = [];
    const detectors = createDetectors({
      clock,
      detectors: [throwing, rejecting, bruteForceDetector({ threshold: 2 }), refreshReuseDetector()],
      alerts: (alert) => {
        delivered.push(alert);
        throw new Error('alert sink down');
      },
      onError: (_error, at) => {
        where.push(at);
        throw new Error('reporter down');
      },
    });
    const send = (type: SecurityEventType, subject: string, attributes: Attributes): void => {
      clock.advance(SECOND);
      expect(() => {
        detectors({ type, at: new Date(clock.now()), subject, attributes });
      }).not.toThrow();
    };
    send('auth.login.failed', 'acct-1', { clientIp: '192.0.2.1' });
    send('auth.login.failed', 'acct-1', { clientIp: '192.0.2.1' });
    send('token.refresh.reuse_detected', 'acct-1', { familyId: 'fam-1' });
    await detectors.idle();
    expect(delivered.map((alert) => alert.attributes?.detector)).toEqual(['brute_force', 'refresh_token_reuse']);
    expect(where).toEqual(['broken', 'broken_async', 'broken', 'broken_async', 'alerts', 'alerts']);
    expect(detectors.stats()).toEqual({ processed: 3, alerts: 2, suppressed: 0, failures: 6, dropped: 0 });
  });

  it('a failing store still lets alerts out (a duplicate beats a miss)', async () => {
    const clock = new ManualClock(MONDAY_10);
    const counter = new MemoryWindowCounter({ clock });
    const flaky = {
      hit: (key: string, windowMs: number) => counter.hit(key, windowMs),
      addDistinct: (key: string, member: string, windowMs: number) => counter.addDistinct(key, member, windowMs),
      claim: (): Promise<boolean> => Promise.reject(new Error('redis down')),
    };
    const alerts: SecurityEvent[] = [];
    const detectors = createDetectors({ clock, counter: flaky, detectors: [refreshReuseDetector()], alerts: (alert) => alerts.push(alert) });
    detectors({ type: 'token.refresh.reuse_detected', at: new Date(clock.now()), subject: 'u', attributes: { familyId: 'f' } });
    detectors({ type: 'token.refresh.reuse_detected', at: new Date(clock.now()), subject: 'u', attributes: { familyId: 'f' } });
    await detectors.idle();
    expect(alerts.map((alert) => alert.attributes?.count)).toEqual([1, 2]);
    expect(detectors.stats().failures).toBe(2);
  });

  it('attack: alerts fed back into the same sink cannot loop', async () => {
    const clock = new ManualClock(MONDAY_10);
    const seen: SecurityEvent[] = [];
    const detectors = createDetectors({
      clock,
      detectors: [refreshReuseDetector()],
      alerts: (alert) => {
        seen.push(alert);
        detectors(alert);
      },
    });
    detectors({ type: 'token.refresh.reuse_detected', at: new Date(clock.now()), subject: 'u', attributes: { familyId: 'f' } });
    await detectors.idle();
    expect(seen).toHaveLength(1);
    expect(detectors.stats().processed).toBe(1);
  });

  it('attack: a backlog is bounded; the excess is dropped and counted, never buffered', async () => {
    const clock = new ManualClock(MONDAY_10);
    const detectors = createDetectors({ clock, alerts: () => undefined, maxPending: 5 });
    for (let i = 0; i < 12; i += 1) detectors({ type: 'auth.login.failed', at: new Date(clock.now()), subject: `a-${i}`, attributes: { clientIp: '192.0.2.1' } });
    await detectors.idle();
    expect(detectors.stats()).toMatchObject({ processed: 5, dropped: 7 });
  });
});

describe('property: alerts never repeat a secret from their event', () => {
  const secretKeys = ['password', 'newPassword', 'refreshToken', 'access_token', 'apiKey', 'Authorization', 'session_id', 'client-secret', 'otp'];
  // Password- and token-looking values; no '.', '/' or ':' so they cannot occur by chance in addresses or user agents.
  const secret = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9!@#$%^&*+=_-]{10,32}$/),
    fc.tuple(fc.stringMatching(/^[A-Za-z0-9_-]{8,24}$/), fc.stringMatching(/^[A-Za-z0-9_-]{8,24}$/)).map(([a, b]) => `eyJ${a}.eyJ${b}.sig${a}`),
    fc.stringMatching(/^[A-Za-z0-9]{24}$/).map((body) => `rmp_${body}_${body}${body}`),
  );
  const event = fc.record({
    type: fc.constantFrom<SecurityEventType>('auth.login.failed', 'auth.login.succeeded', 'token.refresh.reuse_detected', 'authz.denied', 'keyring.rotated', 'authz.allowed'),
    subject: fc.constantFrom('acct-1', 'acct-2', 'acct-3', 'acct-4'),
    ip: fc.constantFrom('192.0.2.1', '192.0.2.2', '2001:db8::1', '203.0.113.9'),
    agent: fc.constantFrom('Firefox/140', 'Safari/18', 'curl/8'),
    secretKey: fc.constantFrom(...secretKeys),
    secret,
    // Where else the producer misplaced the secret in the same event.
    leak: fc.constantFrom('none', 'clientIp', 'userAgent', 'familyId', 'resourceId', 'action', 'subject'),
    step: fc.integer({ min: 0, max: 5 * MINUTE }),
  });

  it('holds for random streams through sensitive detectors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 60 }), async (stream) => {
        const clock = new ManualClock(Date.UTC(2026, 0, 10, 3));
        const alerts: SecurityEvent[] = [];
        const detectors = createDetectors({
          clock,
          alerts: (alert) => alerts.push(alert),
          bruteForce: { threshold: 2 },
          credentialStuffing: { minAccounts: 2, maxAttemptsPerAccount: 3 },
          passwordSpraying: { minAccounts: 2, minAttemptsPerAccount: 1, maxAttemptsPerAccount: 10 },
          authzProbing: { threshold: 2 },
          newCountry: { locate: (ip) => (ip.startsWith('192.') ? 'DE' : ip.startsWith('203.') ? 'FR' : undefined) },
          offHoursAdmin: { adminActions: ['user.delete'] },
        });
        const secrets: string[] = [];
        for (const item of stream) {
          clock.advance(item.step);
          secrets.push(item.secret);
          const attributes: Record<string, string | number | boolean> = {
            clientIp: item.ip,
            userAgent: item.agent,
            familyId: 'fam-1',
            resourceId: 'doc-1',
            action: 'user.delete',
            [item.secretKey]: item.secret,
          };
          if (item.leak !== 'none' && item.leak !== 'subject') attributes[item.leak] = item.secret;
          detectors({ type: item.type, at: new Date(clock.now()), subject: item.leak === 'subject' ? item.secret : item.subject, attributes });
        }
        await detectors.idle();
        const text = JSON.stringify(alerts);
        for (const value of secrets) expect(text.includes(value), `leaked ${value}`).toBe(false);
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it('the property test can fail: a detector copying attributes verbatim is caught by the scrubber, not by luck', async () => {
    const clock = new ManualClock(MONDAY_10);
    const alerts: SecurityEvent[] = [];
    const leaky: Detector = {
      name: 'leaky',
      types: ['auth.login.failed'],
      inspect: (event) => ({
        detector: 'leaky',
        key: String(event.attributes?.clientIp),
        keyKind: 'source',
        severity: 'low',
        count: 1,
        threshold: 1,
        windowMs: MINUTE,
        first: 0,
        last: 0,
        details: { copied: `x ${String(event.attributes?.password)} y`, bearer: 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345' },
      }),
    };
    const detectors = createDetectors({ clock, detectors: [leaky], alerts: (alert) => alerts.push(alert) });
    detectors({ type: 'auth.login.failed', at: new Date(clock.now()), subject: 'a', attributes: { clientIp: 'Hunter2Hunter2', password: 'Hunter2Hunter2' } });
    await detectors.idle();
    expect(alerts[0]?.attributes).toMatchObject({ key: '[REDACTED]', copied: '[REDACTED]' });
    expect(JSON.stringify(alerts)).not.toContain('Hunter2');
    expect(JSON.stringify(alerts)).not.toContain('abcdefghijklmnopqrstuvwxyz012345');
  });
});
