// The HTTP suite for `bench/run.ts`: per framework, the bare server and each variant's share of its throughput as
// measure rows, then Rampart's full chain against the peer stack as a comparison row. Needs `wrk`; see ./run.ts for
// the standalone table and RAMPART_HTTP_BENCH_SECONDS.
import type { BenchRow } from '../harness.js';
import { chainCost } from './chain-cost.js';
import { GOAL, PEER_STACK } from './common.js';
import { runLoad, type LoadResult } from './load.js';

export async function run(): Promise<BenchRow[]> {
  const results = await runLoad({ log: (line) => { process.stderr.write(`  ${line}\n`); } });
  const rows: BenchRow[] = [];
  const frameworks = [...new Set(results.map((row) => row.framework))];
  for (const framework of frameworks) {
    const of = (variant: string): LoadResult => {
      const found = results.find((row) => row.framework === framework && row.variant === variant);
      if (found === undefined) throw new Error(`http ${framework}: no ${variant} result`);
      return found;
    };
    const bare = of('bare');
    const rampart = of('rampart');
    const peer = of('peer');
    const floor = of('floor');
    const suite = `http ${framework} req/s (wrk)`;
    const share = (row: LoadResult): string => (row.error === undefined && bare.error === undefined ? (row.requestsPerSecond / bare.requestsPerSecond).toFixed(2) : '–');
    const partial = rampart.error !== undefined ? ' FAILED' : rampart.missing.length > 0 ? ` PARTIAL: no ${rampart.missing.join(',')}` : '';
    rows.push({ suite, name: bare.error === undefined ? 'bare' : 'bare FAILED', ops: bare.requestsPerSecond, meanMs: bare.latencyMeanMs });
    rows.push({
      suite,
      name: `rampart chain ${share(rampart)} of bare (goal ≥${GOAL[framework]})${partial}`,
      ops: rampart.requestsPerSecond,
      meanMs: rampart.latencyMeanMs,
    });
    rows.push({ suite, name: `peer stack ${share(peer)} of bare${peer.error === undefined ? '' : ' FAILED'}`, ops: peer.requestsPerSecond, meanMs: peer.latencyMeanMs });
    rows.push({
      suite,
      name: `floor (same headers, no controls) ${share(floor)} of bare${floor.error === undefined ? '' : ' FAILED'}`,
      ops: floor.requestsPerSecond,
      meanMs: floor.latencyMeanMs,
    });
    rows.push({
      suite,
      rampart: `rampart chain${partial}`,
      rampartOps: rampart.requestsPerSecond,
      peer: PEER_STACK[framework],
      peerOps: peer.requestsPerSecond,
      ratio: rampart.requestsPerSecond / peer.requestsPerSecond,
    });
  }
  // Where the Rampart variant's time goes: each guard alone and the whole chain, in-process.
  // The harness prints mean latency in ms with 3 decimals; these are a few µs, so the name carries them.
  if (process.env.RAMPART_HTTP_BENCH_CHAIN !== '0') {
    for (const row of await chainCost()) rows.push({ ...row, name: `${row.name}: ${(row.meanMs * 1000).toFixed(2)} µs` });
  }
  return rows;
}
