// An SSRF-safe request costs a URL check, an address check (a literal here: no DNS on either side), a pinned
// dispatch and a size-capped Fetch Response. Compared with the same GET through undici directly — `undici.request`
// (the fastest path, raw body) and `undici.fetch` (the same Response shape safeFetch returns) — against a local
// node:http server on 127.0.0.1, keep-alive on every side, loopback allowed for Rampart by the named option.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, fetch as undiciFetch, request } from 'undici';
import { createSafeFetch } from '../packages/core/src/safe/fetch/index.js';
import { compare, type BenchRow } from './harness.js';

const BODY = JSON.stringify({ id: 42, name: 'order', items: Array.from({ length: 8 }, (_, index) => ({ sku: `sku-${index}`, qty: index })) });

export async function run(): Promise<BenchRow[]> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
    response.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/orders/42`;

  const safe = createSafeFetch({ allowInsecureHttp: true, allowPorts: [port], allowAddresses: ['127.0.0.1/32'] });
  const agent = new Agent({ keepAliveTimeout: 60_000 });
  try {
    return [
      await compare(
        'outbound GET, 127.0.0.1, keep-alive',
        { name: 'rampart safeFetch + text()', fn: async () => (await safe.fetch(url)).text() },
        { name: 'undici.request + body.text()', fn: async () => (await request(url, { dispatcher: agent })).body.text() },
      ),
      await compare(
        'outbound GET, Fetch Response',
        { name: 'rampart safeFetch + text()', fn: async () => (await safe.fetch(url)).text() },
        { name: 'undici.fetch + text()', fn: async () => (await undiciFetch(url, { dispatcher: agent })).text() },
      ),
    ];
  } finally {
    await Promise.all([safe.close(), agent.close()]);
    server.closeAllConnections();
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  }
}
