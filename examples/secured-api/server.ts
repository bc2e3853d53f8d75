/**
 * Starts the secured shop: `npx tsx examples/secured-api/server.ts`.
 *
 * HOST (default 127.0.0.1) and PORT (default 3001; 0 picks a free port). PUBLIC_ORIGIN is the origin browsers use
 * (default `http://<host>:<port>`); CORS and CSRF accept only it. SEED_PASSWORD, when set, creates the demo accounts
 * `admin`, `alice` and `bob` with that password (and PIN 2580 for alice's device). RAMPART_KEYRING (a key-ring
 * document) keeps gift-message keys across restarts; without it keys are generated at start.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSecuredApp, type SeedAccount } from './app.js';
import { loadConfig } from './config.js';

const host = process.env.HOST ?? '127.0.0.1';
const server = createServer();
server.listen(Number(process.env.PORT ?? 3001), host, () => {
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${String(port)}`;
  const password = process.env.SEED_PASSWORD;
  const seed: SeedAccount[] =
    password === undefined
      ? []
      : [
          { username: 'admin', email: 'admin@shop.example', role: 'admin', password },
          { username: 'alice', email: 'alice@example.com', role: 'customer', password, pin: '2580' },
          { username: 'bob', email: 'bob@example.com', role: 'customer', password },
        ];
  void createSecuredApp(loadConfig(origin), { seed }).then(({ app, context }) => {
    server.on('request', app);
    process.stdout.write(`listening on ${origin} (public origin ${context.config.publicOrigin})\n`);
  });
});
