import { Redis } from 'ioredis';

/** A running reset of the scan server's rate-limit counters. */
export interface CounterReset {
  /** How many counters were deleted: 0 means the scanners never reached a limit's store at all. */
  readonly deleted: () => number;
  stop(): Promise<void>;
}

/**
 * Keeps the scan server's rate-limit counters empty while the scanners run.
 *
 * The scanners send thousands of requests from one address; the server's limits (30 account requests per 10
 * minutes, 5 free login attempts per account, …) would answer nearly all of them `429`, and a scanner comparing
 * `429` with `429` learns nothing about the parameter it was testing. The server has no setting that raises its
 * limits (by design: a limit an environment variable can lift is a limit an attacker with a foothold can lift), and
 * varying `X-Forwarded-For` would test a different server. So the limits stay on, counted in Redis under a key
 * prefix only this run uses, and this loop deletes that prefix's rate-limit keys every `intervalMs`: a scanner
 * fitting fewer requests than a limit into one interval is never throttled, and every parameter sees its payloads.
 * The detectors' windows are kept (they only report).
 */
export async function resetCountersContinuously(redisUrl: string, prefix: string, intervalMs = 50): Promise<CounterReset> {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  await client.connect();
  const pattern = `${prefix}:rl*`;
  let deleted = 0;
  const state = { running: true };
  const loop = (async () => {
    while (state.running) {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) deleted += await client.unlink(...keys);
      } while (cursor !== '0');
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    deleted: () => deleted,
    stop: async () => {
      state.running = false;
      await loop;
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await client.unlink(...keys);
      } while (cursor !== '0');
      await client.quit();
    },
  };
}
