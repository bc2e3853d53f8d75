import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ConfigurationError } from '../../errors.js';
import type { ParsedAddress } from './address.js';

/** Trusted ranges, split by family because ipaddr.js only matches an address against a range of its own family. */
export interface TrustedRanges {
  readonly v4: readonly (readonly [ipaddr.IPv4, number])[];
  readonly v6: readonly (readonly [ipaddr.IPv6, number])[];
  /** Whether some range covers a whole family (`0.0.0.0/0`, `::/0`). */
  readonly everyone: boolean;
}

const PREFIX = /^\d{1,3}$/;

/**
 * Parses the configured CIDRs once, at build. A typo must not silently trust nothing or everything, so anything that
 * is not a canonical address with an in-range prefix throws. A bare address means a single host (`/32`, `/128`).
 * IPv4-mapped ranges (`::ffff:10.0.0.0/104`) become IPv4 ranges, because addresses are unwrapped the same way.
 */
export function parseTrustedRanges(cidrs: readonly string[]): TrustedRanges {
  const v4: (readonly [ipaddr.IPv4, number])[] = [];
  const v6: (readonly [ipaddr.IPv6, number])[] = [];
  let everyone = false;
  for (const [index, cidr] of cidrs.entries()) {
    if (typeof cidr !== 'string') throw new ConfigurationError(`client-ip: cidrs[${index}] is not a string`);
    const slash = cidr.indexOf('/');
    const host = slash === -1 ? cidr : cidr.slice(0, slash);
    const family = isIP(host);
    const prefixText = slash === -1 ? String(family === 4 ? 32 : 128) : cidr.slice(slash + 1);
    const prefix = Number(prefixText);
    if (family === 0 || host.includes('%') || !PREFIX.test(prefixText) || prefix > (family === 4 ? 32 : 128)) {
      throw new ConfigurationError(`client-ip: cidrs[${index}] is not an IP address or CIDR range`);
    }
    const address = ipaddr.parse(host);
    if (address.kind() === 'ipv4') {
      v4.push([address as ipaddr.IPv4, prefix]);
      everyone ||= prefix === 0;
    } else if ((address as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) {
      v4.push([(address as ipaddr.IPv6).toIPv4Address(), prefix - 96]);
      everyone ||= prefix === 96;
    } else {
      v6.push([address as ipaddr.IPv6, prefix]);
      everyone ||= prefix === 0;
    }
  }
  return { v4, v6, everyone };
}

/** Whether `address` lies in one of the ranges. */
export function inRanges(ranges: TrustedRanges, address: ParsedAddress): boolean {
  if (address.kind() === 'ipv4') {
    for (const range of ranges.v4) if ((address as ipaddr.IPv4).match(range[0], range[1])) return true;
  } else {
    for (const range of ranges.v6) if ((address as ipaddr.IPv6).match(range[0], range[1])) return true;
  }
  return false;
}
