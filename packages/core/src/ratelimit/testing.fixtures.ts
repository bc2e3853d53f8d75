import type { SecurityEvent } from '../events.js';
import type { ChainOutcome } from '../http/chain/chain.js';
import type { RequestInput } from '../http/chain/request.js';
import type { RateDecision, RatePolicy } from './policy.js';
import type { RateLimitStore } from './store.js';

/** A request from `peer`, with optional extra headers. */
export function request(peer: string, headers: Record<string, string> = {}, target = '/api'): RequestInput {
  return { method: 'GET', target, header: (name) => headers[name], peerAddress: peer, tls: false };
}

/** Awaits an outcome whether the chain stayed synchronous or not. */
export async function settle(outcome: ChainOutcome | Promise<ChainOutcome>): Promise<ChainOutcome> {
  return outcome;
}

/** Collects events. */
export function eventLog(): { events: SecurityEvent[]; sink: (event: SecurityEvent) => void; types: () => string[] } {
  const events: SecurityEvent[] = [];
  return { events, sink: (event) => events.push(event), types: () => events.map((event) => event.type) };
}

/** A store that counts how often it is called and fails while `down` is set (a real failing store stands behind it). */
export class CountingStore implements RateLimitStore {
  calls = 0;
  down = false;
  constructor(private readonly inner: RateLimitStore) {}
  consume(key: string, cost: number, policy: RatePolicy): RateDecision | Promise<RateDecision> {
    this.calls++;
    if (this.down) return Promise.reject(new Error('store down'));
    return this.inner.consume(key, cost, policy);
  }
  reset(key: string): void | Promise<void> {
    this.calls++;
    if (this.down) return Promise.reject(new Error('store down'));
    return this.inner.reset(key);
  }
}
