import type { SecurityEvent } from '../../../events.js';
import { createChain, type ChainOutcome } from '../../chain/chain.js';
import { nodeHeaderReader } from '../../chain/request.js';
import type { Guard } from '../../chain/types.js';

export interface Run {
  readonly outcome: ChainOutcome;
  readonly events: SecurityEvent[];
  /** A response header the guard set, by lower-case name. */
  header(name: string): string | undefined;
}

/** Runs one request through a chain of `guard` (or guards), as an adapter would. */
export function run(guard: Guard | readonly Guard[], method: string, headers: Record<string, string> = {}): Run {
  const events: SecurityEvent[] = [];
  const guards = Array.isArray(guard) ? guard : [guard];
  const outcome = createChain({ guards, events: (event) => events.push(event) }).run({
    method,
    target: '/api/orders',
    header: nodeHeaderReader(headers),
    peerAddress: '203.0.113.9',
    tls: true,
  });
  if (outcome instanceof Promise) throw new Error('the CORS guard must be synchronous');
  return { outcome, events, header: (name) => outcome.headers.get(name) };
}

/** A preflight for `method` from `origin`. */
export function preflight(guard: Guard, origin: string, method: string, extra: Record<string, string> = {}): Run {
  return run(guard, 'OPTIONS', { origin, 'access-control-request-method': method, ...extra });
}
