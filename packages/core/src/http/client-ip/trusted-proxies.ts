import parseForwarded from 'forwarded-parse';
import { ConfigurationError } from '../../errors.js';
import { securityEvent, type SecurityEventSink } from '../../events.js';
import type { ClientAddress, ClientAddressResolver } from '../chain/request.js';
import { formatAddress, parseAddress, parseForwardedNode, type ParsedAddress } from './address.js';
import { inRanges, parseTrustedRanges, type TrustedRanges } from './cidr.js';

/** The one header the client address is read from. */
export type ForwardingHeader = 'x-forwarded-for' | 'forwarded';

export interface TrustedProxiesOptions {
  /**
   * Addresses of your proxies, as CIDR ranges or single addresses (`['10.0.0.0/8', '127.0.0.1/32', '::1/128']`).
   * Alone: forwarding is read only from a peer in these ranges, and the chain is walked right to left over every
   * address in them. With `hops`: only the peer must be in them.
   */
  readonly cidrs?: readonly string[];
  /**
   * Exactly this many proxies stand in front of the application (1–32): the client is the `hops`-th entry from the
   * right. Without `cidrs` any peer is taken for the nearest proxy — right only when the application cannot be reached
   * except through them (reported as a loosening).
   */
  readonly hops?: number;
  /**
   * The header to read: `'x-forwarded-for'` (default) or `'forwarded'` (RFC 7239). Never both: a proxy overwrites or
   * appends to the one it knows, and an attacker would pick the other.
   */
  readonly header?: ForwardingHeader;
  /** Read the client's scheme (`X-Forwarded-Proto`, or `proto=` of `Forwarded`) from trusted hops. Default `false`. */
  readonly trustProto?: boolean;
  /** Named loosening: permits `0.0.0.0/0` / `::/0`, or trusting forwarding from any peer without `cidrs` or `hops`. */
  readonly trustEveryone?: boolean;
  /** Most forwarding entries read per request, against header bombs. Default 32. */
  readonly maxEntries?: number;
  /** Receives `config.loosened` once, at build, for each loosening in effect. */
  readonly events?: SecurityEventSink;
}

/** A client-address resolver for the chain, which can also say whether it trusts a peer. */
export type TrustedProxyResolver = ClientAddressResolver & {
  /** Whether forwarding headers from this peer address are read. */
  readonly trusts: (peerAddress: string) => boolean;
  readonly header: ForwardingHeader;
};

/** Longest `Forwarded` value parsed: the parser reads the whole value, unlike the right-to-left X-Forwarded-For scan. */
const MAX_FORWARDED_LENGTH = 8192;
const FORWARDING_HEADERS: readonly ForwardingHeader[] = ['x-forwarded-for', 'forwarded'];
const OWS_START = /^[ \t]+/;
const OWS_END = /[ \t]+$/;

function trimOws(value: string): string {
  return value.replace(OWS_START, '').replace(OWS_END, '');
}

/** The right-most `max` entries of an `X-Forwarded-For` value, right to left, read without splitting the whole value. */
function xffNodes(value: string, max: number): string[] {
  const nodes: string[] = [];
  let end = value.length;
  for (;;) {
    const comma = end === 0 ? -1 : value.lastIndexOf(',', end - 1);
    nodes.push(trimOws(value.slice(comma + 1, end)));
    if (comma === -1 || nodes.length === max) return nodes;
    end = comma;
  }
}

/** The elements of a `Forwarded` value, right to left; `undefined` when it does not parse (the whole value is suspect). */
function forwardedElements(value: string): Record<string, string>[] | undefined {
  if (value.length > MAX_FORWARDED_LENGTH) return undefined;
  try {
    return parseForwarded(value).reverse();
  } catch {
    return undefined;
  }
}

function countEntries(value: string): number {
  let count = 1;
  for (let at = value.indexOf(','); at !== -1; at = value.indexOf(',', at + 1)) count += 1;
  return count;
}

function validateHops(hops: number | undefined): void {
  if (hops !== undefined && (!Number.isInteger(hops) || hops < 1 || hops > 32)) {
    throw new ConfigurationError('client-ip: hops must be an integer from 1 to 32');
  }
}

/**
 * Builds the resolver of the client's address (and scheme) behind trusted reverse proxies.
 *
 * Protects against address spoofing: `X-Forwarded-For` and `Forwarded` are written by whoever sends the request, so
 * they are read only when the TCP peer is a trusted proxy, and then only as far as the chain of trusted proxies
 * reaches — the first address a trusted proxy vouches for. Entries an attacker prepended lie beyond that point and
 * are never reached. A malformed entry (`unknown`, `_hidden`, garbage) ends the walk at the last trusted hop, so the
 * result is always the peer or an address a trusted proxy wrote, never attacker-chosen text. At most `maxEntries`
 * entries are read, against header bombs. Configuration is validated at build: a CIDR that does not parse throws
 * `ConfigurationError`, and trusting every address needs `trustEveryone: true`.
 */
export function trustedProxies(options: TrustedProxiesOptions): TrustedProxyResolver {
  const header: ForwardingHeader = options.header ?? 'x-forwarded-for';
  // Checked at run time too: a configuration file read as JSON has no types.
  if (!(FORWARDING_HEADERS as readonly string[]).includes(header)) {
    throw new ConfigurationError("client-ip: header must be 'x-forwarded-for' or 'forwarded'");
  }
  validateHops(options.hops);
  const maxEntries = options.maxEntries ?? 32;
  if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > 1024) {
    throw new ConfigurationError('client-ip: maxEntries must be an integer from 1 to 1024');
  }
  const ranges: TrustedRanges | undefined = options.cidrs === undefined ? undefined : parseTrustedRanges(options.cidrs);
  const trustEveryone = options.trustEveryone === true;
  if (ranges?.everyone === true && !trustEveryone) {
    throw new ConfigurationError('client-ip: a range covering every address needs trustEveryone: true');
  }
  if (ranges !== undefined && ranges.v4.length + ranges.v6.length === 0) {
    throw new ConfigurationError('client-ip: cidrs is empty; to trust no proxy, use trustNoProxy');
  }
  if (ranges === undefined && options.hops === undefined && !trustEveryone) {
    throw new ConfigurationError('client-ip: name the proxies (cidrs) or their number (hops); to trust none, use trustNoProxy');
  }
  const hops = options.hops ?? 0;
  const trustProto = options.trustProto === true;

  const emit = options.events;
  if (emit !== undefined) {
    const loosened = (option: string): void => {
      emit(securityEvent('config.loosened', undefined, { control: 'http.client-ip', option }));
    };
    if (trustEveryone) loosened('trustEveryone');
    else if (hops > 0 && ranges === undefined) loosened('hops');
  }

  // Peer gate: CIDRs when given; in hop mode without them (or with trustEveryone) every peer is a proxy.
  const peerTrusted = (address: ParsedAddress): boolean => trustEveryone || (ranges === undefined ? hops > 0 : inRanges(ranges, address));
  // Entry walk (CIDR mode): continue through trusted addresses.
  const entryTrusted = (address: ParsedAddress): boolean => trustEveryone || (ranges !== undefined && inRanges(ranges, address));

  /**
   * Walks `nodes` (right to left) and returns the index of the client's entry, -1 for the peer. The address of that
   * entry is written into `found[0]`.
   */
  function walk(nodes: readonly string[], found: [string]): number {
    let index = -1;
    for (let i = 0; i < nodes.length; i += 1) {
      const address = parseForwardedNode(nodes[i] as string);
      if (address === undefined) break; // Fail closed: the last trusted hop, never the garbage itself.
      found[0] = formatAddress(address);
      index = i;
      if (hops > 0 ? i + 1 === hops : !entryTrusted(address)) break;
    }
    return index;
  }

  function viaXff(peerIp: string, tls: boolean, read: (name: string) => string | undefined): ClientAddress {
    const value = read('x-forwarded-for');
    const found: [string] = [peerIp];
    const index = value === undefined ? -1 : walk(xffNodes(value, maxEntries), found);
    if (!trustProto) return { ip: found[0], secure: tls };
    const proto = read('x-forwarded-proto');
    if (proto === undefined) return { ip: found[0], secure: tls };
    if (!proto.includes(',')) return { ip: found[0], secure: trimOws(proto).toLowerCase() === 'https' };
    // Several schemes: only one aligned with the client's entry is the client's; otherwise whose it is is unknown.
    if (index === -1 || value === undefined || countEntries(proto) !== countEntries(value)) return { ip: found[0], secure: tls };
    const scheme = xffNodes(proto, index + 1)[index] ?? '';
    return { ip: found[0], secure: scheme.toLowerCase() === 'https' };
  }

  function viaForwarded(peerIp: string, tls: boolean, read: (name: string) => string | undefined): ClientAddress {
    const value = read('forwarded');
    const elements = value === undefined ? undefined : forwardedElements(value);
    if (elements === undefined) return { ip: peerIp, secure: tls };
    const nodes: string[] = [];
    for (let i = 0; i < elements.length && i < maxEntries; i += 1) nodes.push(elements[i]?.for ?? '');
    const found: [string] = [peerIp];
    const index = walk(nodes, found);
    const proto = index === -1 ? undefined : elements[index]?.proto;
    return { ip: found[0], secure: trustProto && proto !== undefined ? proto.toLowerCase() === 'https' : tls };
  }

  const viaHeader = header === 'forwarded' ? viaForwarded : viaXff;

  const resolve: ClientAddressResolver = (peerAddress, tls, read) => {
    const peer = parseAddress(peerAddress, true);
    // A peer that is not an IP address (a Unix socket) is nobody's proxy.
    if (peer === undefined) return { ip: peerAddress, secure: tls };
    const peerIp = formatAddress(peer);
    if (!peerTrusted(peer)) return { ip: peerIp, secure: tls };
    return viaHeader(peerIp, tls, read);
  };

  return Object.assign(resolve, {
    trusts: (peerAddress: string): boolean => {
      const peer = parseAddress(peerAddress, true);
      return peer !== undefined && peerTrusted(peer);
    },
    header,
  });
}
