// A server process for the cross-process exactness test in redis-store.test.ts: fires `calls` concurrent calls of
// every store operation at shared keys and prints what it was answered, as JSON. Arguments: redis URL, key prefix,
// process id (names its own members), calls. The processes start together: each reports ready on `<prefix>:ready`
// and waits for the parent's go on `<prefix>:go`.
import { Redis } from 'ioredis';
import { RedisFirstSeenStore, RedisWindowCounter } from './redis-store.js';

const HOUR = 3_600_000;
const [url = '', prefix = '', id = '', calls = '0'] = process.argv.slice(2);
const client = new Redis(url, { maxRetriesPerRequest: 1 });
const counter = new RedisWindowCounter({ client, prefix, timeoutMs: 30_000 });
const firstSeen = new RedisFirstSeenStore({ client, prefix, timeoutMs: 30_000 });
const each = Array.from({ length: Number(calls) }, (_, i) => i);

await client.rpush(`${prefix}:ready`, '1');
await client.blpop(`${prefix}:go`, 60);
const [hits, members, claims, remembered] = await Promise.all([
  Promise.all(each.map(() => counter.hit('shared', HOUR))),
  Promise.all(each.map((i) => counter.addDistinct('shared', i % 2 === 0 ? `${id}-${i}` : 'everyone', HOUR))),
  Promise.all(each.map(() => counter.claim('shared', HOUR))),
  Promise.all(each.map(() => firstSeen.remember('shared', 'device'))),
]);
process.stdout.write(
  JSON.stringify({
    counts: hits.map((hit) => hit.count),
    added: members.filter((member) => member.added).length,
    distinct: members.map((member) => member.distinct),
    claimed: claims.filter(Boolean).length,
    isNew: remembered.filter((seen) => seen.isNew).length,
    withoutHistory: remembered.filter((seen) => !seen.hadHistory).length,
  }),
);
await client.quit();
