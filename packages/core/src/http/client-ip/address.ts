import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** A parsed address: IPv4-mapped IPv6 already unwrapped to IPv4, so one host has one form. */
export type ParsedAddress = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Parses one address strictly. `node:net`'s `isIP` is the gate because it accepts only the canonical notations
 * (dotted-quad IPv4, RFC 4291 IPv6): ipaddr.js alone also reads `0x7f.1`, `017700000001` and `2130706433`, forms no
 * proxy writes and an attacker would use to make one host look like many. `allowZone` is for the socket's own
 * address only: a zone id (`fe80::1%eth0`) in a header is local to a foreign host and free text.
 */
export function parseAddress(value: string, allowZone = false): ParsedAddress | undefined {
  if (isIP(value) === 0 || (!allowZone && value.includes('%'))) return undefined;
  const parsed = ipaddr.parse(value);
  // ::ffff:a.b.c.d is how a dual-stack socket reports an IPv4 client; without unwrapping, one client has two keys.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) return (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed;
}

/** The canonical text of an address: dotted-quad IPv4, RFC 5952 IPv6 (lower case, zeros compressed). */
export function formatAddress(address: ParsedAddress): string {
  return address.kind() === 'ipv6' ? (address as ipaddr.IPv6).toRFC5952String() : address.toString();
}

/**
 * Normalizes an IP address to its canonical text, or `undefined` when it is not an IP address. IPv4-mapped IPv6
 * (`::ffff:1.2.3.4`) becomes `1.2.3.4` and IPv6 is written per RFC 5952, so a rate-limit key cannot be multiplied by
 * writing the same address differently.
 */
export function normalizeAddress(value: string): string | undefined {
  const parsed = parseAddress(value);
  return parsed === undefined ? undefined : formatAddress(parsed);
}

const PORT = /^:\d{1,5}$/;

/** `:port` with a port a proxy could have seen (RFC 7239 §6: `node-port = port / obfport`; obfuscated ports are refused). */
function isPortSuffix(text: string): boolean {
  return PORT.test(text) && Number(text.slice(1)) <= 65535;
}

/**
 * The host part of a forwarded node: `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]`, `[2001:db8::1]:4711`, bare IPv6
 * (RFC 7239 §6 node syntax, also how some proxies write `X-Forwarded-For`). Anything else, including obfuscated
 * identifiers (`_hidden`, `unknown`, RFC 7239 §6.3), yields `undefined`. Only the port is cut off here; whether the
 * rest is an address is decided by {@link parseAddress}.
 */
export function forwardedNodeHost(node: string): string | undefined {
  if (node.startsWith('[')) {
    const close = node.indexOf(']');
    if (close === -1) return undefined;
    const rest = node.slice(close + 1);
    if (rest !== '' && !isPortSuffix(rest)) return undefined;
    return node.slice(1, close);
  }
  const colon = node.indexOf(':');
  // One colon: IPv4 with a port. Several: bare IPv6, which cannot carry a port without brackets.
  if (colon !== -1 && node.indexOf(':', colon + 1) === -1) {
    return isPortSuffix(node.slice(colon)) ? node.slice(0, colon) : undefined;
  }
  return node;
}

/** Parses a forwarded node (see {@link forwardedNodeHost}) to an address, or `undefined`. */
export function parseForwardedNode(node: string): ParsedAddress | undefined {
  const host = forwardedNodeHost(node);
  return host === undefined ? undefined : parseAddress(host);
}
