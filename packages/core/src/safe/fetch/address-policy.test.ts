import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { AddressPolicy, checkAddress } from './address-policy.js';
import { parseIpAddress } from './address.js';
import { createSafeFetch } from './client.js';
import { SsrfError } from './errors.js';
import { readCorpus, testResolver } from './testing.fixtures.js';

function blockedCorpus(): { address: string; range: string }[] {
  return readCorpus('blocked-addresses.txt').map((line) => {
    const [address = '', range = ''] = line.split(/\s+/);
    return { address, range };
  });
}

describe('checkAddress: the special-purpose ranges', () => {
  it('attack: every address of the blocked corpus is refused, and named by its range', () => {
    const corpus = blockedCorpus();
    expect(corpus.length).toBeGreaterThanOrEqual(60);
    for (const { address, range } of corpus) {
      expect({ address, verdict: checkAddress(address) }).toMatchObject({ address, verdict: { allowed: false, range } });
    }
  });

  it('lets ordinary public addresses through, including IPv4 carried by NAT64 and 6to4', () => {
    for (const address of readCorpus('public-addresses.txt')) {
      expect({ address, allowed: checkAddress(address)?.allowed }).toEqual({ address, allowed: true });
    }
  });

  it('reports canonical addresses: mapped IPv4 unwrapped, IPv6 in RFC 5952 form', () => {
    expect(checkAddress('::ffff:7f00:1')).toEqual({ allowed: false, address: '127.0.0.1', range: 'loopback' });
    expect(checkAddress('2001:0DB8:0000:0000:0000:0000:0000:0001')).toEqual({ allowed: false, address: '2001:db8::1', range: 'documentation' });
    expect(checkAddress('::8.8.8.8')).toEqual({ allowed: false, address: '::808:808', range: 'ipv4Compatible' });
  });

  it('attack: non-canonical spellings are not addresses at this layer (the URL parser canonicalizes first)', () => {
    for (const text of ['0x7f.1', '2130706433', '0177.0.0.1', '127.1', '127.0.0.1.', ' 127.0.0.1', '[::1]', 'fe80::1%eth0', 'localhost', '']) {
      expect({ text, verdict: checkAddress(text) }).toEqual({ text, verdict: undefined });
      expect(parseIpAddress(text)).toBeUndefined();
    }
  });

  it('attack: the full client refuses a name whose DNS answer is any blocked address, without connecting', async () => {
    const corpus = blockedCorpus();
    const table = Object.fromEntries(corpus.map(({ address }, index) => [`target-${index}.example`, [address]]));
    const client = createSafeFetch({ resolver: testResolver(table) });
    for (const [index, { address, range }] of corpus.entries()) {
      const error = await client.fetch(`https://target-${index}.example/`).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(SsrfError);
      expect({ address, code: (error as SsrfError).code, range: (error as SsrfError).details.range }).toEqual({ address, code: 'SSRF_BLOCKED_ADDRESS', range });
    }
    await client.close();
  });
});

describe('AddressPolicy: named loosening and extra denial', () => {
  it('allowAddresses opens exactly the named ranges, in any spelling of the address', () => {
    const policy = new AddressPolicy({ allowAddresses: ['127.0.0.1/32', '10.20.0.0/16', 'fd00:1::/32'] });
    expect(policy.loosened).toBe(true);
    expect(policy.checkText('127.0.0.1')?.allowed).toBe(true);
    expect(policy.checkText('::ffff:127.0.0.1')?.allowed).toBe(true);
    expect(policy.checkText('10.20.255.1')?.allowed).toBe(true);
    expect(policy.checkText('fd00:1::5')?.allowed).toBe(true);
    expect(policy.checkText('127.0.0.2')).toMatchObject({ allowed: false, range: 'loopback' });
    expect(policy.checkText('10.21.0.1')).toMatchObject({ allowed: false, range: 'private' });
    expect(policy.checkText('169.254.169.254')).toMatchObject({ allowed: false, range: 'linkLocal' });
    expect(policy.checkText('::1')).toMatchObject({ allowed: false, range: 'loopback' });
    expect(new AddressPolicy({ allowAddresses: ['::ffff:10.0.0.0/104'] }).checkText('10.9.9.9')?.allowed).toBe(true);
  });

  it('denyAddresses refuses public ranges too, wins over allowAddresses, and sees IPv4 inside NAT64/6to4', () => {
    const policy = new AddressPolicy({ allowAddresses: ['10.0.0.0/8'], denyAddresses: ['93.184.0.0/16', '10.1.0.0/16', '2606:4700::/32'] });
    expect(policy.checkText('93.184.215.14')).toMatchObject({ allowed: false, range: 'denied' });
    expect(policy.checkText('64:ff9b::93.184.215.14')).toMatchObject({ allowed: false, range: 'denied' });
    expect(policy.checkText('2002:5db8:d70e::1')).toMatchObject({ allowed: false, range: 'denied' });
    expect(policy.checkText('10.1.2.3')).toMatchObject({ allowed: false, range: 'denied' });
    expect(policy.checkText('2606:4700:4700::1111')).toMatchObject({ allowed: false, range: 'denied' });
    expect(policy.checkText('10.2.0.1')?.allowed).toBe(true);
    expect(policy.checkText('8.8.8.8')?.allowed).toBe(true);
  });

  it('refuses malformed ranges and allow-everything as configuration errors', () => {
    for (const bad of ['10.0.0.0/33', '::/129', '0x7f.1/32', '127.1', '10.0.0.0/8 ', 'fe80::1%eth0/128', '10.0.0.0/-1', '10.0.0.0/08x', 'example.com']) {
      expect(() => new AddressPolicy({ allowAddresses: [bad] })).toThrow(ConfigurationError);
    }
    for (const everything of ['0.0.0.0/0', '::/0', '::ffff:0.0.0.0/96']) {
      expect(() => new AddressPolicy({ allowAddresses: [everything] })).toThrow(/turns SSRF protection off/);
    }
    expect(() => new AddressPolicy({ allowAddresses: 'x' as unknown as string[] })).toThrow(ConfigurationError);
    expect(() => new AddressPolicy({ denyAddresses: [1 as unknown as string] })).toThrow(ConfigurationError);
    expect(new AddressPolicy({ denyAddresses: ['0.0.0.0/0'] }).checkText('8.8.8.8')).toMatchObject({ allowed: false, range: 'denied' });
  });
});
