/**
 * Starts the deliberately vulnerable shop: `npx tsx examples/vulnerable-api/server.ts`.
 *
 * It listens on 127.0.0.1 only (HOST may name nothing else) on PORT (default 3000; 0 picks a free port) and prints
 * `listening on http://127.0.0.1:<port>`. With EXIT_WITH_STDIN=1 it exits when its standard input closes, so a test
 * that started it never leaves it behind.
 */
import type { AddressInfo } from 'node:net';
import { createShopApp } from './app.js';
import { loadConfig } from './config.js';

const config = loadConfig();
const { app } = createShopApp(config);
const server = app.listen(config.port, config.host, () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`listening on http://${config.host}:${String(port)}\n`);
  process.stdout.write(`data directory: ${config.dataDir}\n`);
});

if (process.env.EXIT_WITH_STDIN === '1') {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
