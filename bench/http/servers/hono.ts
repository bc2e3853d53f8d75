import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { csrf } from 'hono/csrf';
import { secureHeaders } from 'hono/secure-headers';
import type { AddressInfo } from 'node:net';
import type { RampartEnv } from '../../../packages/hono/src/index.js';
import { APP_ORIGIN, BODY, type Started, type Variant } from '../common.js';

/** Hono's built-in secureHeaders + cors + csrf (Hono ships no rate limiter). */
function peer(app: Hono<RampartEnv>): void {
  app.use(secureHeaders());
  app.use(cors({ origin: APP_ORIGIN, credentials: true }));
  app.use(csrf({ origin: APP_ORIGIN }));
}

/** Rampart's full chain through its Hono middleware, registered first, with its error handler; loaded only for this variant. */
async function rampartChain(app: Hono<RampartEnv>): Promise<{ pieces: readonly string[]; glue: string }> {
  const [{ rampart, rampartOnError }, { rampartGuards }] = await Promise.all([import('../../../packages/hono/src/index.js'), import('../rampart.js')]);
  const { guards, pieces } = rampartGuards();
  app.use(rampart({ guards }));
  app.onError(rampartOnError());
  return { pieces, glue: '@rampart/hono' };
}

/**
 * The floor: Rampart's response headers as constants, one middleware, no controls. Set on Node's response before
 * `next()`, the cheapest way under @hono/node-server (the one Rampart's adapter uses).
 */
async function floor(app: Hono<RampartEnv>): Promise<void> {
  const headers = (await import('../rampart.js')).floorHeaders();
  app.use((c, next) => {
    const outgoing = (c.env as { outgoing: { setHeader(name: string, value: string): unknown } }).outgoing;
    for (const [name, value] of headers) outgoing.setHeader(name, value);
    return next();
  });
}

export async function start(variant: Variant): Promise<Started> {
  const app = new Hono<RampartEnv>();
  if (variant === 'floor') await floor(app);
  let pieces: readonly string[] = [];
  let glue = '';
  if (variant === 'peer') peer(app);
  if (variant === 'rampart') ({ pieces, glue } = await rampartChain(app));
  app.get('/', (c) => c.json(BODY));
  app.post('/', (c) => c.json(BODY));
  const server = await new Promise<ServerType>((resolve) => {
    const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => { resolve(listening); });
  });
  return {
    port: (server.address() as AddressInfo).port,
    pieces,
    glue,
    close: () => new Promise<void>((resolve) => { server.close(() => { resolve(); }); }),
  };
}
