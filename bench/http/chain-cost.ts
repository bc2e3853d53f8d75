// What each guard of the Rampart variant costs per request, in-process (no HTTP): the chain alone over the same
// request wrk sends (GET /, Origin, a valid CSRF token cookie). Explains where the HTTP ratios go; not a peer comparison.
import { randomBytes } from 'node:crypto';
import { Bench } from 'tinybench';
import { KeyRing } from '../../packages/core/src/crypto/index.js';
import { createChain, nodeHeaderReader, type Guard } from '../../packages/core/src/http/index.js';
import type { MeasureRow } from '../harness.js';
import { APP_ORIGIN, FULL_CHAIN } from './common.js';
import { csrfGuard, rampartGuards } from './rampart.js';

export async function chainCost(timeMs = 500): Promise<MeasureRow[]> {
  const ring = KeyRing.fromDocument({ active: 'bench-1', keys: { 'bench-1': randomBytes(32).toString('base64url') } });
  const csrf = csrfGuard(ring);
  const cookie = csrf.issueToken(undefined).setCookie.split(';')[0]!;
  const { guards, pieces } = rampartGuards(ring, FULL_CHAIN.join(','));
  const headers = { host: '127.0.0.1:8080', origin: APP_ORIGIN, cookie, accept: '*/*' };
  const input = { method: 'GET', target: '/', header: nodeHeaderReader(headers), peerAddress: '127.0.0.1', tls: false };

  const bench = new Bench({ time: timeMs, warmup: true });
  const add = (name: string, chainGuards: readonly Guard[]): void => {
    const chain = createChain({ guards: chainGuards });
    const first = chain.run(input);
    if (first instanceof Promise || first.verdict.action !== 'continue') throw new Error(`chain cost: ${name} did not let the request through`);
    bench.add(name, () => chain.run(input));
  };
  add('empty chain', []);
  guards.forEach((guard, index) => { add(`${pieces[index] ?? 'guard'} alone`, [guard]); });
  add(`full chain (${pieces.join(' → ')})`, guards);
  await bench.run();
  return bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`chain cost: ${task.name} did not complete`);
    return { suite: 'http chain, in-process', name: task.name, ops: result.throughput.mean, meanMs: result.latency.mean };
  });
}
