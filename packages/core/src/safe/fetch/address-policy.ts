import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ConfigurationError } from '../../errors.js';
import { blockedRange, embeddedIpv4, formatIpAddress, parseIpAddress, type IpAddress } from './address.js';
import type { BlockedRange } from './errors.js';

/** The decision about one address. `address` is always the canonical form (IPv4-mapped unwrapped, RFC 5952). */
export type AddressVerdict =
  | { readonly allowed: true; readonly address: string }
  | { readonly allowed: false; readonly address: string; readonly range: BlockedRange };

export interface AddressPolicyOptions {
  /**
   * Named loosening: CIDR ranges (or single addresses) that may be reached although they are in a blocked range,
   * e.g. `['10.20.0.0/16']` for an internal API, `['127.0.0.1/32']` in tests. `/0` is refused: that is no policy.
   */
  readonly allowAddresses?: readonly string[];
  /** Extra ranges to refuse on top of the built-in ones (your own public ranges, a partner's admin network). Wins over `allowAddresses`. */
  readonly denyAddresses?: readonly string[];
}

/** Configured ranges, split by family: ipaddr.js only matches an address against a range of its own family. */
interface Ranges {
  readonly v4: readonly (readonly [ipaddr.IPv4, number])[];
  readonly v6: readonly (readonly [ipaddr.IPv6, number])[];
}

const PREFIX = /^\d{1,3}$/;

function parseRanges(option: string, cidrs: readonly string[] | undefined, allowEverything: boolean): Ranges {
  const v4: (readonly [ipaddr.IPv4, number])[] = [];
  const v6: (readonly [ipaddr.IPv6, number])[] = [];
  if (cidrs === undefined) return { v4, v6 };
  if (!Array.isArray(cidrs)) throw new ConfigurationError(`safe/fetch: ${option} must be an array of CIDR ranges`);
  for (const [index, cidr] of cidrs.entries()) {
    if (typeof cidr !== 'string') throw new ConfigurationError(`safe/fetch: ${option}[${index}] is not a string`);
    const slash = cidr.indexOf('/');
    const host = slash === -1 ? cidr : cidr.slice(0, slash);
    const family = isIP(host);
    const prefixText = slash === -1 ? String(family === 4 ? 32 : 128) : cidr.slice(slash + 1);
    const prefix = Number(prefixText);
    // A typo must not silently allow nothing or everything: anything but a canonical address and prefix is refused.
    if (family === 0 || host.includes('%') || !PREFIX.test(prefixText) || prefix > (family === 4 ? 32 : 128)) {
      throw new ConfigurationError(`safe/fetch: ${option}[${index}] is not an IP address or CIDR range`);
    }
    const address = ipaddr.parse(host);
    const mapped = address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96;
    const effectivePrefix = mapped ? prefix - 96 : prefix;
    if (effectivePrefix === 0 && !allowEverything) {
      throw new ConfigurationError(`safe/fetch: ${option}[${index}] covers every address, which turns SSRF protection off`);
    }
    // Addresses are unwrapped from IPv4-mapped form before matching, so ranges are too.
    if (mapped) v4.push([(address as ipaddr.IPv6).toIPv4Address(), effectivePrefix]);
    else if (address.kind() === 'ipv4') v4.push([address as ipaddr.IPv4, prefix]);
    else v6.push([address as ipaddr.IPv6, prefix]);
  }
  return { v4, v6 };
}

function inRanges(ranges: Ranges, address: IpAddress): boolean {
  if (address.kind() === 'ipv4') return ranges.v4.some(([base, bits]) => (address as ipaddr.IPv4).match(base, bits));
  return ranges.v6.some(([base, bits]) => (address as ipaddr.IPv6).match(base, bits));
}

/**
 * Decides whether an outbound connection may go to an address. Protects against SSRF at the only layer that cannot be
 * fooled by spelling: whatever the URL said and whatever DNS answered, the socket only opens to an address this
 * policy allowed. Order: `denyAddresses` (also matched against the IPv4 address a NAT64/6to4 address carries), then
 * `allowAddresses`, then the built-in special-purpose ranges of {@link blockedRange}.
 */
export class AddressPolicy {
  readonly #allow: Ranges;
  readonly #deny: Ranges;

  constructor(options: AddressPolicyOptions = {}) {
    this.#allow = parseRanges('allowAddresses', options.allowAddresses, false);
    this.#deny = parseRanges('denyAddresses', options.denyAddresses, true);
  }

  /** Whether any range is allowed by name (reported as a loosening). */
  get loosened(): boolean {
    return this.#allow.v4.length + this.#allow.v6.length > 0;
  }

  /** Decides for a parsed address. */
  check(address: IpAddress): AddressVerdict {
    const text = formatIpAddress(address);
    const carried = embeddedIpv4(address);
    if (inRanges(this.#deny, address) || (carried !== undefined && inRanges(this.#deny, carried))) {
      return { allowed: false, address: text, range: 'denied' };
    }
    if (inRanges(this.#allow, address)) return { allowed: true, address: text };
    const range = blockedRange(address);
    return range === undefined ? { allowed: true, address: text } : { allowed: false, address: text, range };
  }

  /** Decides for address text; `undefined` when the text is not a canonical IP address. */
  checkText(text: string): AddressVerdict | undefined {
    const parsed = parseIpAddress(text);
    return parsed === undefined ? undefined : this.check(parsed);
  }
}

const DEFAULT_POLICY = new AddressPolicy();

/**
 * Whether an outbound request may connect to `address` under the default policy (no allowances): the check the client
 * makes on every resolved address, usable on its own, e.g. to vet a webhook's address when it is registered.
 * Returns `undefined` for text that is not a canonical IP address. Protects against SSRF into loopback, private,
 * link-local/metadata and every other special-purpose range, including IPv4 hidden in IPv6.
 */
export function checkAddress(address: string): AddressVerdict | undefined {
  return DEFAULT_POLICY.checkText(address);
}
