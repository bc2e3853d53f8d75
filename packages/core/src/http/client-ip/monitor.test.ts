import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../events.js';
import { createChain } from '../chain/chain.js';
import { nodeHeaderReader } from '../chain/request.js';
import { untrustedForwardingMonitor } from './monitor.js';
import { trustedProxies } from './trusted-proxies.js';

function run(peer: string, headers: Record<string, string>, withProxies: boolean): SecurityEvent[] {
  const events: SecurityEvent[] = [];
  const proxies = trustedProxies({ cidrs: ['10.0.0.0/8'] });
  const chain = createChain({
    guards: [untrustedForwardingMonitor(withProxies ? proxies : undefined)],
    clientAddress: proxies,
    events: (event) => events.push(event),
  });
  const outcome = chain.run({ method: 'GET', target: '/', header: nodeHeaderReader(headers), peerAddress: peer, tls: false });
  expect(outcome).not.toBeInstanceOf(Promise);
  if (!(outcome instanceof Promise)) expect(outcome.verdict.action).toBe('continue');
  return events;
}

describe('untrustedForwardingMonitor', () => {
  it('attack: reports a spoofed X-Forwarded-For from an untrusted peer, without echoing it', () => {
    const events = run('::ffff:203.0.113.7', { 'x-forwarded-for': '1.2.3.4\r\nX-Evil: 1' }, true);
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe('http.client_ip.untrusted_forwarding');
    expect(events[0]?.attributes).toMatchObject({ header: 'x-forwarded-for', peer: '203.0.113.7' });
    expect(JSON.stringify(events)).not.toContain('1.2.3.4');
  });

  it('is silent for trusted proxies and for requests without forwarding headers', () => {
    expect(run('10.0.0.2', { 'x-forwarded-for': '1.2.3.4' }, true)).toEqual([]);
    expect(run('203.0.113.7', {}, true)).toEqual([]);
  });

  it('without a resolver, trusts no peer', () => {
    expect(run('10.0.0.2', { forwarded: 'for=1.2.3.4' }, false).map((event) => event.attributes?.header)).toEqual(['forwarded']);
  });
});
