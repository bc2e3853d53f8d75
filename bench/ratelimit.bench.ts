// Rate-limit checks run on every request of a limited route. Compared with rate-limiter-flexible, the library most
// Node services use for the same job: in memory (one process) and on Redis, one check at a time and with 1,000 in
// flight. Both sides get limits high enough that every check is admitted (rate-limiter-flexible rejects its promise
// when over the limit, which would time a different path). Redis rows run only with RAMPART_TEST_REDIS_URL.
//
// Each pair is timed in both orders and each side's throughput averaged over its two positions: on Redis the
// contender timed first measures low (two identical rate-limiter-flexible limiters compare at about ×0.83), which
// would otherwise bias every row against the side the harness runs first.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { createChain } from '../packages/core/src/http/index.js';
import { gcra, MemoryRateLimitStore, rateLimit, RedisRateLimitStore } from '../packages/core/src/ratelimit/index.js';
import { compare, measure, type BenchRow, type ComparisonRow, type Contender } from './harness.js';

const KEYS = 1_000;
// A million per day on both sides: never reached in a run (so every check is admitted), and, as with real limits,
// a key's state outlives the gap between two of its requests (a limit of a billion per second would make every
// GCRA key expire within a millisecond and time key creation instead of the check).
const LIMIT = 1_000_000;
const DAY = 86_400;
const IN_FLIGHT = 1_000;
const keys = Array.from({ length: KEYS }, (_, index) => `client-${index}`);

/** {@link compare} in both orders, each side's throughput averaged over its two positions. */
async function compareBothOrders(suite: string, rampart: Contender, peer: Contender): Promise<ComparisonRow> {
  const first = await compare(suite, rampart, peer);
  const second = await compare(suite, peer, rampart);
  const rampartOps = (first.rampartOps + second.peerOps) / 2;
  const peerOps = (first.peerOps + second.rampartOps) / 2;
  return { ...first, rampartOps, peerOps, ratio: rampartOps / peerOps };
}

/** A batch row counts one operation per check in the batch; the ratio is unchanged. */
function perCheck(row: ComparisonRow, batch: number): ComparisonRow {
  return { ...row, rampartOps: row.rampartOps * batch, peerOps: row.peerOps * batch };
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const policy = gcra(LIMIT, DAY);
  const memory = new MemoryRateLimitStore();
  const rlfMemory = new RateLimiterMemory({ points: LIMIT, duration: DAY });
  let next = 0;

  rows.push(
    await compareBothOrders(
      'rate-limit check, memory (1k keys)',
      { name: 'rampart MemoryRateLimitStore.consume', fn: () => memory.consume(keys[next++ % KEYS]!, 1, policy) },
      { name: 'rlf RateLimiterMemory.consume', fn: () => rlfMemory.consume(keys[next++ % KEYS]!, 1) },
    ),
  );

  const chain = createChain({ guards: [rateLimit({ store: memory, policy })] });
  const inputs = keys.map((_, index) => ({
    method: 'GET',
    target: '/api/orders',
    header: (): undefined => undefined,
    peerAddress: `10.0.${index >> 8}.${index & 255}`,
    tls: false,
  }));
  rows.push(await measure('rate-limit guard in the chain, memory', { name: 'rampart chain.run + rateLimit', fn: () => chain.run(inputs[next++ % KEYS]!) }));

  const url = process.env.RAMPART_TEST_REDIS_URL;
  if (url === undefined) return rows;
  const client = new Redis(url);
  const prefix = `rl-bench-${randomUUID()}`;
  try {
    const redis = new RedisRateLimitStore({ client, prefix, timeoutMs: 5_000 });
    const rlfRedis = new RateLimiterRedis({ storeClient: client, points: LIMIT, duration: DAY, keyPrefix: `${prefix}-rlf` });
    // Warm both sides (JIT, script cache, the connection) before timing: tinybench times the first contender first.
    for (let i = 0; i < 3_000; i++) {
      await redis.consume(keys[i % KEYS]!, 1, policy);
      await rlfRedis.consume(keys[i % KEYS]!, 1);
    }
    rows.push(
      await compareBothOrders(
        'rate-limit check, Redis, sequential',
        { name: 'rampart RedisRateLimitStore.consume', fn: () => redis.consume(keys[next++ % KEYS]!, 1, policy) },
        { name: 'rlf RateLimiterRedis.consume', fn: () => rlfRedis.consume(keys[next++ % KEYS]!, 1) },
      ),
    );
    const batch = <T>(one: (key: string) => Promise<T>) => () => Promise.all(Array.from({ length: IN_FLIGHT }, () => one(keys[next++ % KEYS]!)));
    rows.push(
      perCheck(
        await compareBothOrders(
          'rate-limit check, Redis, 1k in flight',
          { name: 'rampart RedisRateLimitStore.consume', fn: batch((key) => redis.consume(key, 1, policy)) },
          { name: 'rlf RateLimiterRedis.consume', fn: batch((key) => rlfRedis.consume(key, 1)) },
        ),
        IN_FLIGHT,
      ),
    );
  } finally {
    const stale = await client.keys(`${prefix}*`);
    if (stale.length > 0) await client.del(...stale);
    await client.quit();
  }
  return rows;
}
