// A client process for the cross-process exactness test: fires `count` concurrent consumes at one key and prints
// how many were admitted, as JSON. Arguments: redis URL, key, limit, count, algorithm (gcra | sliding-window).
// The children start together: each reports ready on `<key>:ready` and waits for the parent's go on `<key>:go`.
import { Redis } from 'ioredis';
import { gcra, slidingWindow } from './policy.js';
import { RedisRateLimitStore } from './redis-store.js';

const [url = '', key = '', limit = '0', count = '0', algorithm = 'gcra'] = process.argv.slice(2);
const client = new Redis(url, { maxRetriesPerRequest: 1 });
const store = new RedisRateLimitStore({ client, timeoutMs: 10_000 });
const policy = algorithm === 'gcra' ? gcra(Number(limit), 3600) : slidingWindow(Number(limit), 3600);
await client.rpush(`${key}:ready`, '1');
await client.blpop(`${key}:go`, 60);
const decisions = await Promise.all(Array.from({ length: Number(count) }, () => store.consume(key, 1, policy)));
process.stdout.write(JSON.stringify({ allowed: decisions.filter((decision) => decision.allowed).length }));
await client.quit();
