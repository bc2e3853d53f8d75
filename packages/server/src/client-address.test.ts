import { afterEach, describe, expect, it } from 'vitest';
import { apiRequest } from './testing/browser-client.fixtures.js';
import { startTestServer, type TestServer } from './testing/server.fixtures.js';

// The account routes allow 30 requests per client per 10 minutes: the 31st from one client is refused.
const BUDGET = 30;

async function exhaust(t: TestServer, forwardedFor: (i: number) => string | undefined): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i <= BUDGET; i++) {
    const xff = forwardedFor(i);
    const response = await apiRequest(t.url, 'POST', '/v1/password/reset', {
      json: { email: `user${i}@example.test` },
      ...(xff === undefined ? {} : { headers: { 'x-forwarded-for': xff } }),
    });
    statuses.push(response.status);
  }
  return statuses;
}

describe('client address behind proxies', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('attack: without trusted proxies, a forged X-Forwarded-For per request does not buy a new rate-limit budget, and is reported', async () => {
    t = await startTestServer();
    const statuses = await exhaust(t, (i) => `198.51.100.${i}`);
    expect(statuses.slice(0, BUDGET).every((s) => s === 202)).toBe(true);
    expect(statuses[BUDGET]).toBe(429);
    expect(t.events.some((e) => e.type === 'http.client_ip.untrusted_forwarding')).toBe(true);
  });

  it('behind a trusted proxy, the client the proxy names is the one counted', async () => {
    t = await startTestServer({ env: { RAMPART_TRUSTED_PROXIES: '127.0.0.1/32, ::1' } });
    const one = await exhaust(t, () => '203.0.113.7');
    expect(one[BUDGET]).toBe(429);
    // Another client behind the same proxy has its own budget.
    const other = await apiRequest(t.url, 'POST', '/v1/password/reset', { json: { email: 'other@example.test' }, headers: { 'x-forwarded-for': '203.0.113.8' } });
    expect(other.status).toBe(202);
    // A client prepending a forged address is still counted by what the proxy appended.
    const forged = await apiRequest(t.url, 'POST', '/v1/password/reset', { json: { email: 'x@example.test' }, headers: { 'x-forwarded-for': '192.0.2.1, 203.0.113.7' } });
    expect(forged.status).toBe(429);
  });

  it('refuses a trusted-proxy entry that is not an address or range', async () => {
    await expect(startTestServer({ env: { RAMPART_TRUSTED_PROXIES: 'proxy.example' } })).rejects.toThrow(/trustedProxies/);
  });
});
