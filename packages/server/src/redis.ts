import { RedisFirstSeenStore, RedisWindowCounter } from '@rampart/core/detect';
import { MemoryRateLimitStore, RedisRateLimitStore, type RateLimitStore } from '@rampart/core/ratelimit';
import { Redis } from 'ioredis';
import { systemClock, type Clock } from '@rampart/core';
import type { ServerConfig } from './config/config.js';

/**
 * What the server keeps in Redis when `redisUrl` is set, so that several instances behind one load balancer share it:
 * rate-limit counters (a client cannot multiply its budget by the number of instances) and the detectors' windows
 * (an attack spread over instances is still one attack), and the OAuth provider's short-lived models (sign-in sessions,
 * interactions, authorization codes: oauth/redis-models.ts). Without Redis they live in this process's memory.
 */
export interface SharedCounters {
  /** Rate-limit counters for every limiter of the server. */
  readonly rateLimits: RateLimitStore;
  /** Windows of the detectors, when shared; `undefined` keeps core's in-memory default. */
  readonly detectorStores?: { readonly counter: RedisWindowCounter; readonly firstSeen: RedisFirstSeenStore };
  /** The Redis connection and key prefix, for stores of short-lived shared state; `undefined` without Redis. */
  readonly redis?: { readonly client: Redis; readonly prefix: string };
  /** Resolves when Redis answers (`/readyz`); always resolves without Redis. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the shared counters the configuration asks for (and refuses to start when the configured Redis is unreachable). The client fails fast instead of queueing: a request whose
 * limiter cannot reach Redis is answered by the limiter's fail-closed policy at once, not after a reconnect loop, and
 * a Redis outage shows in `/readyz`.
 */
export async function openSharedCounters(config: Pick<ServerConfig, 'redisUrl' | 'redisKeyPrefix'>, clock: Clock = systemClock): Promise<SharedCounters> {
  if (config.redisUrl === undefined) {
    // The server's clock, so limits and the rest of the server agree on time (and a test's manual clock drives both).
    return { rateLimits: new MemoryRateLimitStore({ clock }), ping: () => Promise.resolve(), close: () => Promise.resolve() };
  }
  const client = new Redis(config.redisUrl, {
    // Commands fail while disconnected instead of piling up behind a dead connection.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    lazyConnect: true,
  });
  // Connection errors surface through the commands (and /readyz); an unhandled 'error' event would crash the process.
  client.on('error', () => undefined);
  // A server configured with Redis does not start without it: it would otherwise serve with limits it cannot count.
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(`cannot reach Redis at the configured RAMPART_REDIS_URL: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const prefix = config.redisKeyPrefix;
  return {
    rateLimits: new RedisRateLimitStore({ client, prefix: `${prefix}:rl` }),
    redis: { client, prefix },
    detectorStores: {
      counter: new RedisWindowCounter({ client, prefix: `${prefix}:detect` }),
      firstSeen: new RedisFirstSeenStore({ client, prefix: `${prefix}:seen` }),
    },
    ping: async () => {
      await client.ping();
    },
    close: async () => {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
