// Runs guards through a real chain, as an adapter would, and returns the outcome synchronously.
import { createChain, type ChainOutcome } from '../../chain/chain.js';
import { nodeHeaderReader, type ClientAddressResolver } from '../../chain/request.js';
import type { Guard } from '../../chain/types.js';

export interface TestRequest {
  readonly method?: string;
  readonly target?: string;
  readonly headers?: Record<string, string>;
  readonly tls?: boolean;
  readonly clientAddress?: ClientAddressResolver;
}

export function run(guard: Guard | readonly Guard[], request: TestRequest = {}): ChainOutcome {
  const chain = createChain({ guards: Array.isArray(guard) ? guard : [guard], ...(request.clientAddress ? { clientAddress: request.clientAddress } : {}) });
  const outcome = chain.run({
    method: request.method ?? 'GET',
    target: request.target ?? '/',
    header: nodeHeaderReader(request.headers ?? {}),
    peerAddress: '203.0.113.7',
    tls: request.tls ?? true,
  });
  if (outcome instanceof Promise) throw new Error('the headers guard must be synchronous');
  return outcome;
}

/** The response headers as a plain object, for exact comparisons. */
export function headersOf(outcome: ChainOutcome): Record<string, string> {
  return Object.fromEntries(outcome.headers.entries());
}
