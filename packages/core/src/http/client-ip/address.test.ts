import { describe, expect, it } from 'vitest';
import { forwardedNodeHost, normalizeAddress } from './address.js';

describe('normalizeAddress', () => {
  it('writes one address one way', () => {
    expect(normalizeAddress('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(normalizeAddress('::FFFF:102:304')).toBe('1.2.3.4');
    expect(normalizeAddress('2001:0DB8::0001')).toBe('2001:db8::1');
    expect(normalizeAddress('1.2.3.4')).toBe('1.2.3.4');
  });

  it('attack: alternative IPv4 notations and zone ids are not addresses', () => {
    for (const value of ['0x7f.0.0.1', '0177.0.0.1', '127.1', '2130706433', '1.2.3.4.5', 'fe80::1%eth0', ' 1.2.3.4', 'localhost', '']) {
      expect(normalizeAddress(value)).toBeUndefined();
    }
  });
});

describe('forwardedNodeHost', () => {
  it('cuts the port off IPv4 and bracketed IPv6 only', () => {
    expect(forwardedNodeHost('1.2.3.4:80')).toBe('1.2.3.4');
    expect(forwardedNodeHost('[::1]:80')).toBe('::1');
    expect(forwardedNodeHost('2001:db8::1')).toBe('2001:db8::1');
    expect(forwardedNodeHost('1.2.3.4:http')).toBeUndefined();
    expect(forwardedNodeHost('[::1]x')).toBeUndefined();
    expect(forwardedNodeHost('[::1')).toBeUndefined();
  });
});
