/* Property tests: forwarding headers are attacker input, so no value of them may throw or yield an address no one vouched for. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeHeaderReader } from '../chain/request.js';
import { normalizeAddress } from './address.js';
import { trustedProxies } from './trusted-proxies.js';

const entry = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), fc.constantFrom('10.0.0.1', '::ffff:10.0.0.3', 'unknown', '_hidden', '[::1]:80'), fc.string({ maxLength: 20 }));
const xff = fc.oneof(fc.string({ maxLength: 200 }), fc.array(entry, { maxLength: 40 }).map((entries) => entries.join(', ')));
const forwarded = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.array(entry, { maxLength: 40 }).map((entries) => entries.map((value) => `for="${value.replace(/["\\]/g, '')}";proto=https`).join(', ')),
);
const resolvers = [
  trustedProxies({ cidrs: ['10.0.0.0/8', '::1/128'] }),
  trustedProxies({ hops: 2 }),
  trustedProxies({ cidrs: ['10.0.0.0/8'], header: 'forwarded', trustProto: true }),
  trustedProxies({ trustEveryone: true, trustProto: true }),
];

function entriesOf(value: string): Set<string> {
  const found = new Set<string>();
  for (const piece of value.split(/[,;]/)) {
    const trimmed = piece.replace(/^[ \t]*(?:for=)?"?/i, '').replace(/"?[ \t]*$/, '');
    const host = trimmed.startsWith('[') ? trimmed.slice(1, trimmed.indexOf(']')) : trimmed.replace(/^([^:]*):\d+$/, '$1');
    const address = normalizeAddress(host);
    if (address !== undefined) found.add(address);
  }
  return found;
}

describe('trustedProxies properties', () => {
  it('never throws, and yields the peer or an address found in the header', () => {
    fc.assert(
      fc.property(fc.constantFrom('10.0.0.2', '203.0.113.7', '::1'), xff, forwarded, fc.boolean(), (peer, xffValue, forwardedValue, tls) => {
        const headers = { 'x-forwarded-for': xffValue, forwarded: forwardedValue, 'x-forwarded-proto': 'https' };
        for (const resolve of resolvers) {
          const { ip, secure } = resolve(peer, tls, nodeHeaderReader(headers));
          expect(normalizeAddress(ip)).toBe(ip);
          const source = resolve.header === 'forwarded' ? forwardedValue : xffValue;
          if (ip !== normalizeAddress(peer)) expect(entriesOf(source).has(ip)).toBe(true);
          expect(typeof secure).toBe('boolean');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('an untrusted peer is always the client, whatever it sends', () => {
    const resolve = trustedProxies({ cidrs: ['10.0.0.0/8'], trustProto: true });
    fc.assert(
      fc.property(fc.ipV4().filter((ip) => !ip.startsWith('10.')), xff, (peer, value) => {
        expect(resolve(peer, false, nodeHeaderReader({ 'x-forwarded-for': value, 'x-forwarded-proto': 'https' }))).toEqual({ ip: peer, secure: false });
      }),
    );
  });
});
