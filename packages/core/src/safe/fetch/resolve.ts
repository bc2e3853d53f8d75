import { lookup } from 'node:dns/promises';
import type { AddressPolicy } from './address-policy.js';
import { parseIpAddress } from './address.js';
import type { Destination } from './destination.js';
import { describeUrl, SsrfError } from './errors.js';

/** One answer of a {@link Resolver}; the shape of `dns.lookup(…, { all: true })`. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family?: number;
}

/**
 * The port through which host names become addresses. The default is {@link systemResolver}; tests and applications
 * with their own DNS (DoH, a service registry) inject one. Whatever it answers is checked before use, so a resolver
 * cannot widen the policy, only fail.
 */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** `dns.lookup` with `all: true`: the operating system's resolver (hosts file, nsswitch), as `net.connect` would use. */
export const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true });

/** RFC 6761 §6.3: `localhost` and `*.localhost` are loopback by definition; they are answered here, never sent to DNS. */
const LOOPBACK_ANSWERS: readonly ResolvedAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

function isLocalhostName(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost');
}

/** Resolves `promise` unless `signal` aborts first; the resolver port takes no signal, the total timeout still binds it. */
export async function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Turns a checked destination into the addresses the connection is pinned to. Protects against DNS tricks: every
 * answer is checked and a single blocked one refuses the whole name (a name answering `[public, 10.0.0.1]` must not
 * become a coin toss), and the caller connects to exactly these addresses — never to the name — so a second,
 * different DNS answer (rebinding) is never asked for.
 */
export async function pinAddresses(
  destination: Destination,
  policy: AddressPolicy,
  resolver: Resolver,
  signal: AbortSignal,
  hop: number,
): Promise<readonly string[]> {
  const { hostname, url } = destination;
  const details = { url: describeUrl(url), hostname, hop };
  if (destination.literal !== undefined) {
    const verdict = policy.check(destination.literal);
    if (!verdict.allowed) throw new SsrfError('SSRF_BLOCKED_ADDRESS', { ...details, address: verdict.address, range: verdict.range });
    return [verdict.address];
  }

  let answers: readonly ResolvedAddress[];
  if (isLocalhostName(hostname)) {
    answers = LOOPBACK_ANSWERS;
  } else {
    try {
      answers = await raceAbort(resolver(hostname), signal);
    } catch (cause) {
      if (signal.aborted) throw cause;
      throw new SsrfError('SSRF_DNS_FAILED', details, { cause });
    }
  }
  // The port is typed, but a resolver is foreign code: its answer is validated like any other input.
  const list: readonly unknown[] = Array.isArray(answers) ? (answers as readonly unknown[]) : [];
  if (list.length === 0) throw new SsrfError('SSRF_DNS_FAILED', details);

  const pinned: string[] = [];
  for (const answer of list) {
    const address = typeof answer === 'object' && answer !== null && 'address' in answer ? answer.address : undefined;
    const parsed = typeof address === 'string' ? parseIpAddress(address) : undefined;
    if (parsed === undefined) throw new SsrfError('SSRF_DNS_FAILED', details);
    const verdict = policy.check(parsed);
    if (!verdict.allowed) throw new SsrfError('SSRF_BLOCKED_ADDRESS', { ...details, address: verdict.address, range: verdict.range });
    if (!pinned.includes(verdict.address)) pinned.push(verdict.address);
  }
  return pinned;
}
