import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { BlockedRange } from './errors.js';

/** A parsed address; IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is always unwrapped to IPv4, so one host has one form. */
export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Parses one address strictly, or `undefined`. `node:net`'s `isIP` is the gate: it accepts only dotted-quad IPv4 and
 * RFC 4291 IPv6, while ipaddr.js alone also reads `0x7f.1` or `2130706433` — forms that must never reach the policy
 * from a resolver or a configuration unnoticed. Zone ids (`fe80::1%eth0`) are refused: they name an interface of this
 * host, which is exactly what an outbound request must not pick.
 */
export function parseIpAddress(text: string): IpAddress | undefined {
  const family = isIP(text);
  if (family === 0 || text.includes('%')) return undefined;
  // ipaddr.js reads `::a.b.c.d` (IPv4-compatible, RFC 4291 §2.5.5.1) as `::ffff:a.b.c.d` (IPv4-mapped). The WHATWG
  // IPv6 parser (the URL host parser) serializes dotted tails to hex correctly, so that form is judged for what it is.
  const canonical = family === 6 && text.includes('.') ? new URL(`http://[${text}]/`).hostname.slice(1, -1) : text;
  const parsed = ipaddr.parse(canonical);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) return (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed;
}

/** Canonical text: dotted-quad IPv4, RFC 5952 IPv6. */
export function formatIpAddress(address: IpAddress): string {
  return address.kind() === 'ipv6' ? (address as ipaddr.IPv6).toRFC5952String() : address.toString();
}

function v4Cidr(text: string): [ipaddr.IPv4, number] {
  return ipaddr.IPv4.parseCIDR(text);
}
function v6Cidr(text: string): [ipaddr.IPv6, number] {
  return ipaddr.IPv6.parseCIDR(text);
}

// ipaddr.js files these under `reserved`; they are named apart because an operator reading a refusal asks "why".
const V4_DOCUMENTATION = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'].map(v4Cidr); // RFC 5737
const V4_BENCHMARKING = v4Cidr('198.18.0.0/15'); // RFC 2544
const V6_DOCUMENTATION = ['2001:db8::/32', '3fff::/20'].map(v6Cidr); // RFC 3849, RFC 9637
// Global unicast (RFC 4291 §2.4): everything else is unassigned or special, and a server has no business calling it.
const V6_GLOBAL_UNICAST = v6Cidr('2000::/3');
// RFC 6052 well-known NAT64 prefix: the last 32 bits are the IPv4 destination the translator will reach.
const V6_NAT64_WELL_KNOWN = v6Cidr('64:ff9b::/96');

function classifyIpv4(address: ipaddr.IPv4): BlockedRange | undefined {
  const range: string = address.range();
  switch (range) {
    case 'unicast':
      return undefined;
    case 'unspecified': // 0.0.0.0/8: Linux connects 0.0.0.0 to this very host
    case 'broadcast':
    case 'multicast':
    case 'linkLocal': // 169.254.0.0/16, including the cloud metadata service 169.254.169.254
    case 'loopback':
    case 'carrierGradeNat':
    case 'private':
    case 'benchmarking':
      return range;
    case 'reserved':
      if (V4_DOCUMENTATION.some((cidr) => address.match(cidr))) return 'documentation';
      if (address.match(V4_BENCHMARKING)) return 'benchmarking';
      return 'reserved';
    default:
      // as112, amt, and any range a later ipaddr.js adds: not a normal destination, so closed by default.
      return 'specialPurpose';
  }
}

/** The IPv4 address carried in the last 32 bits of an IPv6 address. */
function lowIpv4(address: ipaddr.IPv6): ipaddr.IPv4 {
  const [, , , , , , high = 0, low = 0] = address.parts;
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/** The IPv4 address a 6to4 address (RFC 3056, `2002:AABB:CCDD::/48`) tunnels to. */
function sixToFourIpv4(address: ipaddr.IPv6): ipaddr.IPv4 {
  const [, high = 0, low = 0] = address.parts;
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

function classifyIpv6(address: ipaddr.IPv6): BlockedRange | undefined {
  const range: string = address.range();
  switch (range) {
    case 'unicast':
      if (address.parts.slice(0, 6).every((part) => part === 0)) return 'ipv4Compatible'; // ::a.b.c.d, RFC 4291 §2.5.5.1
      return address.match(V6_GLOBAL_UNICAST) ? undefined : 'notGlobalUnicast';
    case 'unspecified': // [::] reaches this host like 0.0.0.0
    case 'loopback':
    case 'linkLocal':
    case 'multicast':
    case 'uniqueLocal': // fc00::/7, the IPv6 private networks (fd00:ec2::254 is AWS's metadata service)
    case 'benchmarking':
    case 'teredo': // 2001::/32 tunnels to an IPv4 host whose address is obfuscated in the low bits: never a destination
      return range;
    case 'deprecatedSiteLocal':
      return 'siteLocal'; // fec0::/10, RFC 3879: still routed inside some networks
    case 'rfc6052':
      // The well-known /96 reaches the IPv4 internet through a translator: as safe as the IPv4 address it embeds.
      // The local-use 64:ff9b:1::/48 (RFC 8215) is the operator's own translation space.
      return address.match(V6_NAT64_WELL_KNOWN) ? classifyIpv4(lowIpv4(address)) : 'nat64Local';
    case '6to4':
      return classifyIpv4(sixToFourIpv4(address)); // 2002:7f00:1:: is 127.0.0.1 through a relay
    case 'rfc6145':
      return 'reserved'; // ::ffff:0:a.b.c.d, IPv4-translated
    case 'reserved':
      return V6_DOCUMENTATION.some((cidr) => address.match(cidr)) ? 'documentation' : 'reserved';
    default:
      // discard, amt, as112v6, orchid, segment routing, drone ids, and any range a later ipaddr.js adds.
      return 'specialPurpose';
  }
}

/**
 * Names the special-purpose range an address is in, or `undefined` for an ordinary public unicast address.
 *
 * Protects against SSRF into the host itself and its networks: loopback, `0.0.0.0/8` and `[::]`, RFC 1918 and unique
 * local networks, link-local including the metadata service `169.254.169.254`, CGNAT `100.64.0.0/10`, multicast,
 * broadcast, documentation, benchmarking and reserved ranges (the IANA special-purpose registries, via ipaddr.js), and
 * the IPv6 forms that carry an IPv4 address: IPv4-mapped (unwrapped by the parser), IPv4-compatible, NAT64 and 6to4
 * (judged by the IPv4 address inside) and Teredo. IPv6 outside `2000::/3` is refused as not global unicast.
 */
export function blockedRange(address: IpAddress): BlockedRange | undefined {
  return address.kind() === 'ipv4' ? classifyIpv4(address as ipaddr.IPv4) : classifyIpv6(address as ipaddr.IPv6);
}

/** The IPv4 address an IPv6 address delivers to (NAT64 well-known prefix, 6to4), if any. */
export function embeddedIpv4(address: IpAddress): ipaddr.IPv4 | undefined {
  if (address.kind() === 'ipv4') return undefined;
  const v6 = address as ipaddr.IPv6;
  const range: string = v6.range();
  if (range === 'rfc6052' && v6.match(V6_NAT64_WELL_KNOWN)) return lowIpv4(v6);
  if (range === '6to4') return sixToFourIpv4(v6);
  return undefined;
}
