import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { harness, iso, MONDAY_10 } from './stream.fixtures.js';
import { credentialStuffingDetector, offHoursAdminDetector, passwordSprayingDetector } from './index.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const digest = (device: string): string => createHash('sha256').update(device).digest('base64url').slice(0, 16);

describe('attack: brute force on one account', () => {
  it('raises one alert when an account fails 10 times in 15 minutes, however many more follow', async () => {
    const h = harness();
    for (let i = 1; i <= 60; i += 1) {
      await h.emit('auth.login.failed', 'acct-1', { clientIp: i % 2 === 0 ? '198.51.100.2' : '198.51.100.1' }, 10 * SECOND);
    }
    expect(h.alerts).toEqual([
      {
        type: 'detect.alert',
        at: new Date(MONDAY_10 + 100 * SECOND),
        subject: 'acct-1',
        attributes: {
          detector: 'brute_force',
          key: 'acct-1',
          keyKind: 'account',
          severity: 'medium',
          count: 10,
          threshold: 10,
          windowSeconds: 900,
          firstAt: iso(10 * SECOND),
          lastAt: iso(100 * SECOND),
          distinctSources: 2,
        },
      },
    ]);
  });

  it('raises one more alert per window while the attack goes on', async () => {
    const h = harness();
    for (let i = 1; i <= 120; i += 1) await h.emit('auth.login.failed', 'acct-1', { clientIp: '198.51.100.1' }, 10 * SECOND);
    expect(h.raised().map((a) => [a.detector, a.count, a.firstAt, a.lastAt])).toEqual([
      ['brute_force', 10, iso(10 * SECOND), iso(100 * SECOND)],
      ['brute_force', 90, iso(110 * SECOND), iso(1000 * SECOND)],
    ]);
    expect(h.detectors.stats().suppressed).toBeGreaterThan(100);
  });

  it('stays quiet below the threshold and when failures are spread beyond the window', async () => {
    const h = harness();
    for (let i = 0; i < 9; i += 1) await h.emit('auth.login.failed', 'acct-1', { clientIp: '198.51.100.1' }, 2 * MINUTE);
    for (let i = 0; i < 30; i += 1) await h.emit('auth.login.failed', 'acct-2', { clientIp: '198.51.100.1' }, 2 * MINUTE);
    expect(h.raised()).toEqual([]);
  });
});

describe('attack: guessing an OAuth client\'s secret', () => {
  it('raises one alert when one client fails to authenticate 10 times in 15 minutes, from however many addresses', async () => {
    const h = harness();
    for (let i = 1; i <= 30; i += 1) {
      await h.emit('oauth.client.authentication_failed', undefined, { clientId: 'billing', endpoint: 'token', method: 'client_secret_basic', clientIp: `198.51.100.${String(i)}` }, 10 * SECOND);
    }
    expect(h.alerts).toHaveLength(1);
    // A client is no account: the alert has no subject, and its key says it is a client.
    expect(h.alerts[0]?.subject).toBeUndefined();
    expect(h.raised()).toEqual([
      {
        detector: 'brute_force',
        key: 'billing',
        keyKind: 'client',
        severity: 'medium',
        count: 10,
        threshold: 10,
        windowSeconds: 900,
        firstAt: iso(10 * SECOND),
        lastAt: iso(100 * SECOND),
        distinctSources: 10,
      },
    ]);
  });

  it('counts clients apart from accounts of the same name, and ignores failures naming no client', async () => {
    const h = harness();
    for (let i = 0; i < 5; i += 1) {
      await h.emit('auth.login.failed', 'shared-name', { clientIp: '198.51.100.1' });
      await h.emit('oauth.client.authentication_failed', undefined, { clientId: 'shared-name', clientIp: '198.51.100.1' });
      await h.emit('oauth.client.authentication_failed', undefined, { endpoint: 'token', clientIp: '198.51.100.1' });
    }
    expect(h.raised()).toEqual([]);
    // Neither is confused with the other at the threshold either: each alerts on its own tenth failure.
    for (let i = 0; i < 5; i += 1) await h.emit('oauth.client.authentication_failed', undefined, { clientId: 'shared-name', clientIp: '198.51.100.1' });
    expect(h.raised().map((a) => [a.keyKind, a.key, a.count])).toEqual([['client', 'shared-name', 10]]);
  });
});

describe('attack: credential stuffing', () => {
  it('raises one alert when one address fails on 20 distinct accounts, once each', async () => {
    const h = harness();
    for (let i = 1; i <= 25; i += 1) await h.emit('auth.login.failed', `acct-${i}`, { clientIp: '203.0.113.7' }, 5 * SECOND);
    expect(h.raised()).toEqual([
      {
        detector: 'credential_stuffing',
        key: '203.0.113.7',
        keyKind: 'source',
        severity: 'high',
        count: 20,
        threshold: 20,
        windowSeconds: 600,
        firstAt: iso(5 * SECOND),
        lastAt: iso(100 * SECOND),
        attempts: 20,
        distinctAccounts: 20,
        attemptsPerAccount: 1,
      },
    ]);
  });

  it('counts an IPv6 attacker rotating addresses inside one /64 as one source', async () => {
    const h = harness();
    for (let i = 1; i <= 20; i += 1) {
      await h.emit('auth.login.failed', `acct-${i}`, { clientIp: `2001:db8:1:2::${i.toString(16)}` }, 5 * SECOND);
    }
    expect(h.raised().map((a) => [a.detector, a.key, a.count])).toEqual([['credential_stuffing', '2001:db8:1:2::/64', 20]]);
  });

  it('stays quiet for many accounts failing from many addresses (a busy office NAT is per address, not per account)', async () => {
    const h = harness();
    for (let i = 1; i <= 100; i += 1) await h.emit('auth.login.failed', `acct-${i}`, { clientIp: `198.51.100.${i}` }, 5 * SECOND);
    expect(h.raised()).toEqual([]);
  });
});

describe('attack: password spraying', () => {
  it('raises one spraying alert (not stuffing) for a few attempts on each of many accounts', async () => {
    const h = harness();
    for (let account = 1; account <= 12; account += 1) {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        await h.emit('auth.login.failed', `acct-${account}`, { clientIp: '192.0.2.66' }, 30 * SECOND);
      }
    }
    expect(h.raised()).toEqual([
      {
        detector: 'password_spraying',
        key: '192.0.2.66',
        keyKind: 'source',
        severity: 'high',
        count: 10,
        threshold: 10,
        windowSeconds: 3600,
        firstAt: iso(30 * SECOND),
        lastAt: iso(28 * 30 * SECOND),
        attempts: 28,
        distinctAccounts: 10,
        attemptsPerAccount: 2.8,
      },
    ]);
  });

  it('tells stuffing from spraying by attempts per account', async () => {
    const stuffing = harness({ detectors: [credentialStuffingDetector({ minAccounts: 5 }), passwordSprayingDetector({ minAccounts: 5 })] });
    for (let i = 1; i <= 8; i += 1) await stuffing.emit('auth.login.failed', `acct-${i}`, { clientIp: '192.0.2.1' });
    const spraying = harness({ detectors: [credentialStuffingDetector({ minAccounts: 5 }), passwordSprayingDetector({ minAccounts: 5 })] });
    for (let i = 1; i <= 8; i += 1) {
      for (let attempt = 0; attempt < 4; attempt += 1) await spraying.emit('auth.login.failed', `acct-${i}`, { clientIp: '192.0.2.1' });
    }
    const guessing = harness({ detectors: [credentialStuffingDetector({ minAccounts: 5 }), passwordSprayingDetector({ minAccounts: 5 })] });
    for (let i = 1; i <= 8; i += 1) {
      for (let attempt = 0; attempt < 8; attempt += 1) await guessing.emit('auth.login.failed', `acct-${i}`, { clientIp: '192.0.2.1' });
    }
    expect(stuffing.raised().map((a) => [a.detector, a.attemptsPerAccount])).toEqual([['credential_stuffing', 1]]);
    expect(spraying.raised().map((a) => [a.detector, a.attemptsPerAccount])).toEqual([['password_spraying', 3.4]]);
    expect(guessing.raised()).toEqual([]); // 8 per account is brute force, reported per account
  });

  it('refuses an empty attempts-per-account band', () => {
    expect(() => passwordSprayingDetector({ minAttemptsPerAccount: 5, maxAttemptsPerAccount: 5 })).toThrow(ConfigurationError);
    expect(() => credentialStuffingDetector({ minAccounts: 0 })).toThrow(ConfigurationError);
  });
});

describe('attack: refresh-token reuse', () => {
  it('alerts at once on reuse, once per family', async () => {
    const h = harness();
    await h.emit('token.refresh.reuse_detected', 'user-7', { familyId: 'fam-1', tokenId: 'tok-9' });
    await h.emit('token.refresh.reuse_detected', 'user-7', { familyId: 'fam-1', tokenId: 'tok-10' });
    await h.emit('token.refresh.reuse_detected', 'user-8', { familyId: 'fam-2', tokenId: 'tok-11' });
    expect(h.alerts.map((a) => a.subject)).toEqual(['user-7', 'user-8']);
    expect(h.raised()).toEqual([
      {
        detector: 'refresh_token_reuse',
        key: 'fam-1',
        keyKind: 'family',
        severity: 'high',
        count: 1,
        threshold: 1,
        windowSeconds: 600,
        firstAt: iso(SECOND),
        lastAt: iso(SECOND),
      },
      {
        detector: 'refresh_token_reuse',
        key: 'fam-2',
        keyKind: 'family',
        severity: 'high',
        count: 1,
        threshold: 1,
        windowSeconds: 600,
        firstAt: iso(3 * SECOND),
        lastAt: iso(3 * SECOND),
      },
    ]);
  });
});

describe('attack: OAuth code and refresh-token reuse', () => {
  it('alerts at once on a reused code or refresh token, once per grant, with the client', async () => {
    const h = harness();
    await h.emit('oauth.code.reused', undefined, { clientId: 'app', grantId: 'grant-1', clientIp: '203.0.113.5' });
    await h.emit('oauth.refresh.reused', 'user-7', { clientId: 'app', grantId: 'grant-2' });
    await h.emit('oauth.refresh.reused', 'user-7', { clientId: 'app', grantId: 'grant-2' });
    expect(h.alerts.map((a) => a.subject)).toEqual([undefined, 'user-7']);
    expect(h.raised()).toEqual([
      {
        detector: 'refresh_token_reuse',
        key: 'grant-1',
        keyKind: 'grant',
        severity: 'high',
        count: 1,
        threshold: 1,
        windowSeconds: 600,
        firstAt: iso(SECOND),
        lastAt: iso(SECOND),
        eventType: 'oauth.code.reused',
        clientId: 'app',
      },
      {
        detector: 'refresh_token_reuse',
        key: 'grant-2',
        keyKind: 'grant',
        severity: 'high',
        count: 1,
        threshold: 1,
        windowSeconds: 600,
        firstAt: iso(2 * SECOND),
        lastAt: iso(2 * SECOND),
        eventType: 'oauth.refresh.reused',
        clientId: 'app',
      },
    ]);
  });

  it('keeps an OAuth grant and a refresh family of the same id apart: neither silences the other', async () => {
    const h = harness();
    await h.emit('token.refresh.reuse_detected', 'user-1', { familyId: 'same-id' });
    await h.emit('oauth.refresh.reused', 'user-1', { grantId: 'same-id', clientId: 'app' });
    expect(h.raised().map((a) => [a.keyKind, a.key])).toEqual([
      ['family', 'same-id'],
      ['grant', 'same-id'],
    ]);
  });
});

describe('attack: authorization probing (BOLA)', () => {
  it('raises one alert for a burst of denials of one principal across object ids', async () => {
    const h = harness();
    for (let i = 1; i <= 5; i += 1) await h.emit('authz.denied', undefined, { action: 'read', reason: 'unauthenticated', status: 401 });
    for (let i = 1; i <= 25; i += 1) {
      await h.emit('authz.denied', 'user-9', { action: 'read', kind: 'invoice', resourceId: `inv-${i}`, status: 403 }, 2 * SECOND);
    }
    expect(h.raised()).toEqual([
      {
        detector: 'authz_probing',
        key: 'user-9',
        keyKind: 'principal',
        severity: 'medium',
        count: 20,
        threshold: 20,
        windowSeconds: 300,
        firstAt: iso(5 * SECOND + 2 * SECOND),
        lastAt: iso(5 * SECOND + 40 * SECOND),
        distinctResources: 20,
      },
    ]);
  });
});

describe('attack: sign-in from a new device or country', () => {
  it('alerts when a known account signs in from a device it never used, not on its first sign-in', async () => {
    const h = harness();
    await h.emit('auth.login.succeeded', 'acct-2', { clientIp: '198.51.100.1', userAgent: 'Firefox/140 Linux' });
    await h.emit('auth.login.succeeded', 'acct-2', { clientIp: '198.51.100.1', userAgent: 'Firefox/140 Linux' });
    await h.emit('auth.login.succeeded', 'acct-3', { clientIp: '198.51.100.9', userAgent: 'Safari/18 iOS' });
    await h.emit('auth.login.succeeded', 'acct-2', { clientIp: '203.0.113.50', userAgent: 'curl/8.5' });
    await h.emit('auth.login.succeeded', 'acct-2', { clientIp: '203.0.113.50', userAgent: 'curl/8.5' });
    await h.emit('auth.login.succeeded', 'acct-2', { clientIp: '203.0.113.51', userAgent: 'python-requests/2.32' });
    expect(h.raised()).toEqual([
      {
        detector: 'new_device',
        key: 'acct-2',
        keyKind: 'account',
        severity: 'low',
        count: 1,
        threshold: 1,
        windowSeconds: 3600,
        firstAt: iso(4 * SECOND),
        lastAt: iso(4 * SECOND),
        device: digest('curl/8.5'),
      },
    ]);
    expect(JSON.stringify(h.alerts)).not.toContain('curl');
  });

  it('alerts on a new country through the locate port, and skips addresses it cannot place', async () => {
    const countries = new Map([
      ['198.51.100.1', 'de'],
      ['203.0.113.9', 'FR'],
      ['192.0.2.8', 'not a country'],
    ]);
    const h = harness({ newCountry: { locate: (ip) => countries.get(ip) } });
    await h.emit('auth.login.succeeded', 'acct-4', { clientIp: '198.51.100.1' });
    await h.emit('auth.login.succeeded', 'acct-4', { clientIp: '198.51.100.1' });
    await h.emit('auth.login.succeeded', 'acct-4', { clientIp: '192.0.2.1' });
    await h.emit('auth.login.succeeded', 'acct-4', { clientIp: '192.0.2.8' });
    await h.emit('auth.login.succeeded', 'acct-4', { clientIp: '203.0.113.9' });
    expect(h.raised()).toEqual([
      {
        detector: 'new_country',
        key: 'acct-4',
        keyKind: 'account',
        severity: 'medium',
        count: 1,
        threshold: 1,
        windowSeconds: 3600,
        firstAt: iso(5 * SECOND),
        lastAt: iso(5 * SECOND),
        country: 'FR',
        clientIp: '203.0.113.9',
      },
    ]);
  });
});

describe('attack: administrative actions off hours', () => {
  const SATURDAY_3 = Date.UTC(2026, 0, 10, 3);

  it('alerts on a key rotation at 3 a.m. on a Saturday, once per actor and window', async () => {
    const h = harness({}, SATURDAY_3);
    await h.emit('keyring.rotated', 'admin-1', { keyId: 'k2' });
    await h.emit('token.apikey.created', 'admin-1', { apiKeyId: 'ak-1' });
    await h.emit('authz.policy.reloaded', 'admin-2', { version: '7' });
    expect(h.raised()).toEqual([
      {
        detector: 'off_hours_admin',
        key: 'admin-1',
        keyKind: 'principal',
        severity: 'medium',
        count: 1,
        threshold: 1,
        windowSeconds: 3600,
        firstAt: iso(SECOND, SATURDAY_3),
        lastAt: iso(SECOND, SATURDAY_3),
        eventType: 'keyring.rotated',
        localTime: '03:00',
        localDay: 6,
      },
      {
        detector: 'off_hours_admin',
        key: 'admin-2',
        keyKind: 'principal',
        severity: 'medium',
        count: 1,
        threshold: 1,
        windowSeconds: 3600,
        firstAt: iso(3 * SECOND, SATURDAY_3),
        lastAt: iso(3 * SECOND, SATURDAY_3),
        eventType: 'authz.policy.reloaded',
        localTime: '03:00',
        localDay: 6,
      },
    ]);
  });

  it('watches OAuth client administration by default: a client registered at night alerts on its administrator', async () => {
    const h = harness({}, SATURDAY_3);
    await h.emit('oauth.client.created', 'admin-3', { clientId: 'exfil', by: 'admin-3' });
    await h.emit('oauth.client.secret_rotated', 'admin-3', { clientId: 'exfil', by: 'admin-3' });
    expect(h.raised().map((a) => [a.key, a.keyKind, a.eventType])).toEqual([['admin-3', 'principal', 'oauth.client.created']]);
  });

  it('applies the time zone offset and admin action names', async () => {
    // 07:30 UTC on a Monday is 09:30 at UTC+2 (in hours) but 07:30 at UTC (before hours).
    const early = Date.UTC(2026, 0, 5, 7, 30);
    const local = harness({ offHoursAdmin: { utcOffsetMinutes: 120, adminActions: ['user.delete'] } }, early);
    await local.emit('authz.allowed', 'admin-1', { action: 'user.delete', kind: 'user' });
    const utc = harness({ offHoursAdmin: { adminActions: ['user.delete'] } }, early);
    await utc.emit('authz.allowed', 'admin-1', { action: 'user.read', kind: 'user' });
    await utc.emit('authz.allowed', 'admin-1', { action: 'user.delete', kind: 'user' });
    expect(local.raised()).toEqual([]);
    expect(utc.raised().map((a) => [a.detector, a.action, a.localTime])).toEqual([['off_hours_admin', 'user.delete', '07:30']]);
  });

  it('supports working hours across midnight', async () => {
    const night = harness({ detectors: [offHoursAdminDetector({ workStartHour: 22, workEndHour: 6, workDays: [0, 1, 2, 3, 4, 5, 6] })] }, Date.UTC(2026, 0, 5, 23));
    await night.emit('keyring.rotated', 'ops-1');
    await night.emit('keyring.rotated', 'ops-2', undefined, 8 * 60 * MINUTE);
    expect(night.raised().map((a) => [a.key, a.localTime])).toEqual([['ops-2', '07:00']]);
  });

  it('refuses impossible working hours', () => {
    expect(() => offHoursAdminDetector({ workStartHour: 25 })).toThrow(ConfigurationError);
    expect(() => offHoursAdminDetector({ workStartHour: 9, workEndHour: 9 })).toThrow(ConfigurationError);
    expect(() => offHoursAdminDetector({ workDays: [7] })).toThrow(ConfigurationError);
    expect(() => offHoursAdminDetector({ utcOffsetMinutes: 1000 })).toThrow(ConfigurationError);
  });
});
