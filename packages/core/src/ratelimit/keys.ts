import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { contextKey, type ContextKey, type GuardContext, type RequestView } from '../http/chain/types.js';

/**
 * The verified principal (account id) of the request, set by the authentication guard earlier in the chain. The
 * `'principal'` key reads it from here and never from a request header: a key the client can choose freely would
 * give it a fresh quota per request.
 */
export const RATE_LIMIT_PRINCIPAL: ContextKey<string> = contextKey<string>('principal');

/** The id of the verified API key of the request, set by the API-key guard. Same reasoning as the principal. */
export const RATE_LIMIT_API_KEY_ID: ContextKey<string> = contextKey<string>('api-key-id');

/** A custom key: a string that identifies the client, or `undefined` to fall back to the client address. */
export type RateLimitKeyFunction = (request: RequestView, context: GuardContext) => string | undefined;

/**
 * What a limiter counts by.
 * - `ip`: the client address from the chain's trusted-proxy resolution (never raw `X-Forwarded-For`); IPv6 by prefix.
 * - `principal` / `api-key`: the verified identity set in the context by an earlier guard; the address when absent.
 * - `route`: one quota shared by every client of the routes the limiter is mounted on (a global cap).
 * - a function: anything else; its result is hashed, and `undefined` falls back to the address.
 */
export type RateLimitKey = 'ip' | 'principal' | 'api-key' | 'route' | RateLimitKeyFunction;

/** Keys longer than this are replaced by a hash, so no key can be used to grow memory per entry. */
const MAX_PLAIN_KEY = 64;

/** Short, fixed-length, collision-resistant digest: keeps secrets and e-mail addresses out of the store's keys. */
export function digestKey(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 27);
}

/**
 * The counting identity of an address. IPv4 and IPv4-mapped IPv6 count per address. IPv6 counts per prefix
 * (default /64): one subscriber usually holds a whole /64 and can pick a new address from it for every request, so
 * per-address keys would give such a client 2^64 quotas.
 */
export function addressKey(address: string, ipv6PrefixLength = 64): string {
  if (!address.includes(':')) return address.length <= MAX_PLAIN_KEY ? address : digestKey(address);
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return `x${digestKey(address)}`;
  }
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const bytes = parsed.toByteArray();
  for (let bit = ipv6PrefixLength; bit < 128; bit += 1) {
    const index = bit >> 3;
    bytes[index] = (bytes[index] ?? 0) & ~(0x80 >> (bit & 7)) & 0xff;
  }
  return `${ipaddr.fromByteArray(bytes).toString()}/${ipv6PrefixLength}`;
}

/** Builds the function that maps a request to its store key, `<name>:<kind>:<identity>`. */
export function keyResolver(
  name: string,
  key: RateLimitKey,
  ipv6PrefixLength: number,
): (request: RequestView, context: GuardContext) => string {
  // Requests come in bursts per connection, and Node hands every request of a connection the same address string: the
  // last address and its key are remembered, so a burst reuses one key string (whose hash V8 keeps) instead of
  // building and hashing a new one per request.
  let lastAddress: string | undefined;
  let lastKey = '';
  const byAddress = (request: RequestView): string => {
    const address = request.clientIp;
    if (address !== lastAddress) {
      lastKey = `${name}:ip:${addressKey(address, ipv6PrefixLength)}`;
      lastAddress = address;
    }
    return lastKey;
  };
  const identity = (tag: string, value: string | undefined, request: RequestView): string =>
    typeof value === 'string' && value.length > 0 ? `${name}:${tag}:${digestKey(value)}` : byAddress(request);
  switch (key) {
    case 'ip':
      return byAddress;
    case 'principal':
      return (request, context) => identity('p', context.get(RATE_LIMIT_PRINCIPAL), request);
    case 'api-key':
      return (request, context) => identity('k', context.get(RATE_LIMIT_API_KEY_ID), request);
    case 'route': {
      const shared = `${name}:route`;
      return () => shared;
    }
    default:
      return (request, context) => identity('f', key(request, context), request);
  }
}
