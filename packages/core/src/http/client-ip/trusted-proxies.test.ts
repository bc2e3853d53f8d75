import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { createChain } from '../chain/chain.js';
import { nodeHeaderReader } from '../chain/request.js';
import { trustedProxies, type TrustedProxiesOptions } from './trusted-proxies.js';

const PROXY = '10.0.0.2';
const LAN = ['10.0.0.0/8', '127.0.0.1/32', '::1/128'];

function resolve(options: TrustedProxiesOptions, peer: string, headers: Record<string, string>, tls = false) {
  return trustedProxies(options)(peer, tls, nodeHeaderReader(headers));
}

describe('trustedProxies: attacks', () => {
  it('attack: a spoofed X-Forwarded-For from an untrusted peer changes nothing', () => {
    expect(resolve({ cidrs: LAN }, '203.0.113.7', { 'x-forwarded-for': '1.2.3.4' })).toEqual({ ip: '203.0.113.7', secure: false });
    expect(resolve({ cidrs: LAN, header: 'forwarded' }, '203.0.113.7', { forwarded: 'for=1.2.3.4' }).ip).toBe('203.0.113.7');
    expect(resolve({ cidrs: LAN, trustProto: true }, '203.0.113.7', { 'x-forwarded-proto': 'https' }).secure).toBe(false);
  });

  it('attack: a spoofed X-Forwarded-For does not change the client ip a guard (a rate limiter) sees', () => {
    const keys: string[] = [];
    const chain = createChain({
      guards: [(request) => (keys.push(request.clientIp), { action: 'continue' })],
      clientAddress: trustedProxies({ cidrs: LAN }),
    });
    for (const spoof of ['1.1.1.1', '2.2.2.2', '10.0.0.1', '::1']) {
      const outcome = chain.run({ method: 'GET', target: '/', header: nodeHeaderReader({ 'x-forwarded-for': spoof }), peerAddress: '198.51.100.9', tls: false });
      expect(outcome).not.toBeInstanceOf(Promise);
    }
    expect(new Set(keys)).toEqual(new Set(['198.51.100.9']));
  });

  it('attack: entries prepended by the client are never reached behind a trusted proxy', () => {
    // The client sent "X-Forwarded-For: 10.0.0.9, 6.6.6.6"; the proxy appended the address it saw.
    const headers = { 'x-forwarded-for': '10.0.0.9, 6.6.6.6, 198.51.100.20' };
    expect(resolve({ cidrs: LAN }, PROXY, headers).ip).toBe('198.51.100.20');
    expect(resolve({ hops: 1 }, PROXY, headers).ip).toBe('198.51.100.20');
    // Two proxies: the inner one appended the outer one's address.
    const twoHops = { 'x-forwarded-for': '6.6.6.6, 198.51.100.20, 10.0.0.3' };
    expect(resolve({ cidrs: LAN }, PROXY, twoHops).ip).toBe('198.51.100.20');
    expect(resolve({ hops: 2 }, PROXY, twoHops).ip).toBe('198.51.100.20');
    expect(resolve({ hops: 2, cidrs: LAN }, PROXY, twoHops).ip).toBe('198.51.100.20');
  });

  it('attack: garbage, obfuscated and non-canonical entries end the walk at the last trusted hop', () => {
    for (const bad of ['unknown', '_hidden', '', 'not-an-ip', '<script>', '0x7f.1', '2130706433', '127.1', '01.2.3.4', 'fe80::1%eth0', '1.2.3.4:99999', '[::1', '1.2.3.4 5.6.7.8', '\u20001.2.3.4']) {
      expect(resolve({ cidrs: LAN }, PROXY, { 'x-forwarded-for': bad }).ip).toBe(PROXY);
      expect(resolve({ cidrs: LAN }, PROXY, { 'x-forwarded-for': `${bad}, 10.0.0.3` }).ip).toBe('10.0.0.3');
      expect(resolve({ hops: 2 }, PROXY, { 'x-forwarded-for': `${bad}, 10.0.0.3` }).ip).toBe('10.0.0.3');
    }
  });

  it('attack: a header bomb of 1000 entries reads only the right-most 32', () => {
    const bomb = Array.from({ length: 1000 }, () => '10.0.0.1').join(',');
    expect(resolve({ cidrs: LAN }, PROXY, { 'x-forwarded-for': `6.6.6.6,${bomb}` }).ip).toBe('10.0.0.1');
    const forwarded = Array.from({ length: 500 }, () => 'for=10.0.0.1').join(', ');
    expect(resolve({ cidrs: LAN, header: 'forwarded' }, PROXY, { forwarded: `for=6.6.6.6, ${forwarded}` }).ip).toBe('10.0.0.1');
    // Forwarded is parsed whole, so a value past 8 KiB is not parsed at all: the trusted peer is the answer.
    expect(resolve({ cidrs: LAN, header: 'forwarded' }, PROXY, { forwarded: `${'for=1.1.1.1, '.repeat(1000)}for=9.9.9.9` }).ip).toBe(PROXY);
  });

  it('attack: only the configured header is read, so the one a proxy did not overwrite is ignored', () => {
    const headers = { 'x-forwarded-for': '198.51.100.20', forwarded: 'for=6.6.6.6' };
    expect(resolve({ cidrs: LAN }, PROXY, headers).ip).toBe('198.51.100.20');
    expect(resolve({ cidrs: LAN, header: 'forwarded' }, PROXY, { 'x-forwarded-for': '6.6.6.6', forwarded: 'for=198.51.100.20' }).ip).toBe(
      '198.51.100.20',
    );
  });

  it('attack: a malformed Forwarded value from a trusted proxy yields the proxy, not a guess', () => {
    for (const bad of ['for=1.2.3.4;', 'for="1.2.3.4', 'for=1.2.3.4:80', 'proto=https', 'for=unknown', 'for=_hidden', 'for="[::1"']) {
      expect(resolve({ cidrs: LAN, header: 'forwarded' }, PROXY, { forwarded: bad }).ip).toBe(PROXY);
    }
  });

  it('attack: a client-sent X-Forwarded-Proto is not believed when proxies append', () => {
    // The client sent "X-Forwarded-Proto: https"; the proxy appended "http", misaligned with X-Forwarded-For.
    expect(resolve({ cidrs: LAN, trustProto: true }, PROXY, { 'x-forwarded-for': '198.51.100.20', 'x-forwarded-proto': 'https, http' }).secure).toBe(
      false,
    );
  });
});

describe('trustedProxies: addresses', () => {
  it('normalizes IPv4-mapped IPv6 and IPv6 spelling everywhere, including the peer', () => {
    expect(resolve({ cidrs: LAN }, '::ffff:10.0.0.2', { 'x-forwarded-for': '::ffff:198.51.100.20' }).ip).toBe('198.51.100.20');
    expect(resolve({ cidrs: LAN }, '::ffff:203.0.113.7', {}).ip).toBe('203.0.113.7');
    expect(resolve({ cidrs: LAN }, '::1', { 'x-forwarded-for': '2001:DB8:0:0:0:0:0:1' }).ip).toBe('2001:db8::1');
    expect(resolve({ cidrs: ['::ffff:10.0.0.0/104'] }, '10.0.0.2', { 'x-forwarded-for': '1.2.3.4' }).ip).toBe('1.2.3.4');
  });

  it('strips ports and brackets (RFC 7239 §6)', () => {
    expect(resolve({ cidrs: LAN }, PROXY, { 'x-forwarded-for': '198.51.100.20:4711' }).ip).toBe('198.51.100.20');
    expect(resolve({ cidrs: LAN }, PROXY, { 'x-forwarded-for': '[2001:db8::17]:4711' }).ip).toBe('2001:db8::17');
    expect(resolve({ cidrs: LAN }, PROXY, { 'x-forwarded-for': '[2001:db8::17]' }).ip).toBe('2001:db8::17');
    const forwarded = 'for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.1';
    expect(resolve({ cidrs: LAN, header: 'forwarded', trustProto: true }, PROXY, { forwarded })).toEqual({ ip: '2001:db8:cafe::17', secure: true });
  });

  it('a trusted peer without a header is the client', () => {
    expect(resolve({ cidrs: LAN }, PROXY, {}, true)).toEqual({ ip: PROXY, secure: true });
    expect(resolve({ cidrs: LAN, header: 'forwarded' }, PROXY, {})).toEqual({ ip: PROXY, secure: false });
  });

  it('a hop count beyond the list yields the left-most entry, which a trusted proxy wrote', () => {
    expect(resolve({ hops: 3 }, PROXY, { 'x-forwarded-for': '198.51.100.20, 10.0.0.3' }).ip).toBe('198.51.100.20');
  });

  it('a chain of trusted addresses only yields the farthest one', () => {
    expect(resolve({ cidrs: LAN }, PROXY, { 'x-forwarded-for': '10.0.0.4, 10.0.0.3' }).ip).toBe('10.0.0.4');
  });

  it('hop mode with cidrs reads forwarding only from a peer in them', () => {
    expect(resolve({ hops: 1, cidrs: LAN }, '203.0.113.7', { 'x-forwarded-for': '1.2.3.4' }).ip).toBe('203.0.113.7');
  });

  it('reads the scheme only with trustProto, and only from trusted hops', () => {
    const headers = { 'x-forwarded-for': '198.51.100.20', 'x-forwarded-proto': 'HTTPS' };
    expect(resolve({ cidrs: LAN }, PROXY, headers).secure).toBe(false);
    expect(resolve({ cidrs: LAN, trustProto: true }, PROXY, headers).secure).toBe(true);
    expect(resolve({ cidrs: LAN, trustProto: true }, PROXY, { ...headers, 'x-forwarded-proto': 'http' }, true).secure).toBe(false);
    expect(
      resolve({ cidrs: LAN, trustProto: true }, PROXY, { 'x-forwarded-for': '198.51.100.20, 10.0.0.3', 'x-forwarded-proto': 'https, http' }).secure,
    ).toBe(true);
    expect(resolve({ cidrs: LAN, trustProto: true, header: 'forwarded' }, PROXY, { forwarded: 'for=1.2.3.4' }, true).secure).toBe(true);
  });

  it('a peer that is not an IP address (a Unix socket) is nobody’s proxy', () => {
    expect(resolve({ trustEveryone: true }, '', { 'x-forwarded-for': '1.2.3.4' }).ip).toBe('');
  });

  it('trusts() reports the peer gate', () => {
    const proxies = trustedProxies({ cidrs: LAN });
    expect(proxies.trusts('10.1.2.3')).toBe(true);
    expect(proxies.trusts('::ffff:10.1.2.3')).toBe(true);
    expect(proxies.trusts('11.0.0.1')).toBe(false);
    expect(proxies.trusts('garbage')).toBe(false);
  });
});

describe('trustedProxies: configuration', () => {
  it('refuses ranges that do not parse, and trusting nobody by accident', () => {
    for (const cidrs of [['10.0.0.0/33'], ['10.0.0/8'], ['::1/129'], ['10.0.0.0/'], ['10.0.0.0/8/8'], ['banana'], ['0x0a.0.0.0/8'], ['fe80::%eth0/64'], [' 10.0.0.0/8']]) {
      expect(() => trustedProxies({ cidrs })).toThrow(ConfigurationError);
    }
    expect(() => trustedProxies({})).toThrow(ConfigurationError);
    expect(() => trustedProxies({ cidrs: [] })).toThrow(ConfigurationError);
    expect(() => trustedProxies({ cidrs: [], hops: 1 })).toThrow(ConfigurationError);
    for (const hops of [0, -1, 1.5, 33, Number.NaN]) expect(() => trustedProxies({ hops })).toThrow(ConfigurationError);
    expect(() => trustedProxies({ cidrs: LAN, maxEntries: 0 })).toThrow(ConfigurationError);
    expect(() => trustedProxies({ cidrs: LAN, header: 'x-real-ip' as 'forwarded' })).toThrow(ConfigurationError);
  });

  it('refuses 0.0.0.0/0 and ::/0 unless trustEveryone names the loosening, and reports it', () => {
    for (const cidrs of [['0.0.0.0/0'], ['::/0'], ['::ffff:0.0.0.0/96']]) {
      expect(() => trustedProxies({ cidrs })).toThrow(ConfigurationError);
      const events: SecurityEvent[] = [];
      const proxies = trustedProxies({ cidrs, trustEveryone: true, events: (event) => events.push(event) });
      expect(events.map((event) => [event.type, event.attributes?.option])).toEqual([['config.loosened', 'trustEveryone']]);
      // The named loosening trusts every peer and every entry: the left-most address wins, whoever wrote it.
      expect(proxies('203.0.113.7', false, nodeHeaderReader({ 'x-forwarded-for': '1.2.3.4, 5.6.7.8' })).ip).toBe('1.2.3.4');
    }
  });

  it('reports hop mode without cidrs as a loosening: any peer is taken for a proxy', () => {
    const events: SecurityEvent[] = [];
    trustedProxies({ hops: 1, events: (event) => events.push(event) });
    trustedProxies({ hops: 1, cidrs: LAN, events: (event) => events.push(event) });
    expect(events.map((event) => event.attributes?.option)).toEqual(['hops']);
  });
});
