// A token endpoint for the OAuth suite (./oauth.bench.ts), in a process of its own: `fork`ed with the name of the side
// it runs (`rampart` or `bare`), it answers on IPC with its port and the client's `Authorization` header, and closes
// when the suite disconnects. Each side owns its process, as it would in production: its heap, its garbage collector
// and its compiled code are its own, and the suite reads each one's CPU time from the kernel, not from a process that
// also hosts the other side and the load.
//
//   rampart  `createServer` as `rampart serve` builds it: SQLite in a temporary data directory, the guard chain, client
//            secrets sealed at rest, the failed-authentication throttle, an `oauth.token.issued` event into the audit
//            trail per grant;
//   bare     oidc-provider of the same version doing the same grant: the same client authentication
//            (`client_secret_basic`), the same RFC 8707 resource and RFC 9068 JWT access token (EdDSA, signed by jose
//            in both), its in-memory adapter, a plain `http` server, nothing else.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RESOURCE = 'https://orders.example/';
export const SCOPE = 'orders:read';

/** What a target process reports once it listens. */
export interface TargetReady {
  readonly name: string;
  readonly port: number;
  readonly authorization: string;
}

/** The side a target process runs. */
export type TargetSide = 'rampart' | 'bare';

interface Running extends TargetReady {
  close(): Promise<void>;
}

const basic = (clientId: string, secret: string): string => `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function freePort(): Promise<number> {
  const probe = createHttpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function startRampart(): Promise<Running> {
  const { createServer, ensureDataDir, loadConfig } = await import('../packages/server/src/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-oauth-'));
  chmodSync(dir, 0o700);
  const configFile = join(dir, 'rampart.config.yaml');
  writeFileSync(configFile, ['oauth:', '  resources:', `    - indicator: ${RESOURCE}`, `      scopes: [${SCOPE}]`, ''].join('\n'));
  ensureDataDir(join(dir, 'data'));
  const port = await freePort();
  const config = loadConfig({
    cwd: dir,
    env: { RAMPART_CONFIG: configFile, RAMPART_DATA_DIR: join(dir, 'data'), RAMPART_HOST: '127.0.0.1', RAMPART_PORT: String(port), RAMPART_PUBLIC_URL: `http://127.0.0.1:${port}`, RAMPART_LOG_LEVEL: 'silent' },
  });
  const server = await createServer(config);
  await server.listen();
  const { client, clientSecret } = await server.modules.oauth.clients.create({ type: 'confidential', name: 'bench', grantTypes: ['client_credentials'], scopes: [SCOPE] });
  if (clientSecret === undefined) throw new Error('no client secret issued');
  return {
    name: 'Rampart server',
    port,
    authorization: basic(client.clientId, clientSecret),
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startBareProvider(): Promise<Running> {
  const { default: Provider } = await import('oidc-provider');
  const port = await freePort();
  const signing = { ...(generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as Record<string, string>), kid: 'bench', alg: 'EdDSA', use: 'sig' };
  const secret = randomBytes(32).toString('base64url');
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [{ client_id: 'bench', client_secret: secret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_basic', id_token_signed_response_alg: 'EdDSA' }],
    clientDefaults: { id_token_signed_response_alg: 'EdDSA' },
    jwks: { keys: [signing] },
    routes: { token: '/oauth/token' },
    ttl: { ClientCredentials: 600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? RESOURCE,
        useGrantedResource: () => false,
        getResourceServerInfo: () => ({ scope: SCOPE, audience: RESOURCE, accessTokenTTL: 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'EdDSA' } } }),
      },
    },
  });
  const callback = provider.callback();
  const server: Server = createHttpServer((request, response) => {
    void callback(request, response);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    name: 'bare oidc-provider',
    port,
    authorization: basic('bench', secret),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

const side = process.argv[2] as TargetSide | undefined;
if (process.send !== undefined && (side === 'rampart' || side === 'bare')) {
  const running = side === 'rampart' ? await startRampart() : await startBareProvider();
  process.once('disconnect', () => {
    void running.close().then(() => process.exit(0));
  });
  const ready: TargetReady = { name: running.name, port: running.port, authorization: running.authorization };
  process.send(ready);
}
