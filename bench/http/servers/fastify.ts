import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { APP_ORIGIN, BODY, RATE_LIMIT, RATE_WINDOW_SECONDS, type Started, type Variant } from '../common.js';

const COOKIE_SECRET = 'bench-only-secret-0123456789abcdef0123456789abcdef';

/** @fastify/helmet + @fastify/cors + @fastify/rate-limit + @fastify/cookie + @fastify/csrf-protection. */
async function peer(app: FastifyInstance): Promise<void> {
  await app.register(fastifyHelmet);
  await app.register(fastifyCors, { origin: APP_ORIGIN, credentials: true });
  await app.register(fastifyRateLimit, { max: RATE_LIMIT, timeWindow: RATE_WINDOW_SECONDS * 1000 });
  await app.register(fastifyCookie, { secret: COOKIE_SECRET });
  await app.register(fastifyCsrf, { cookieOpts: { signed: true, sameSite: 'strict', secure: true, httpOnly: true, path: '/' } });
}

/** Rampart's full chain through its Fastify plugin, registered before the routes; loaded only for this variant. */
async function rampartChain(app: FastifyInstance): Promise<{ pieces: readonly string[]; glue: string }> {
  const [{ rampart }, { rampartGuards }] = await Promise.all([import('../../../packages/fastify/src/index.js'), import('../rampart.js')]);
  const { guards, pieces } = rampartGuards();
  await app.register(rampart, { guards });
  return { pieces, glue: '@rampart/fastify' };
}

/** The floor: Rampart's response headers as constants, one onRequest hook, no controls. */
async function floor(app: FastifyInstance): Promise<void> {
  const headers = Object.fromEntries((await import('../rampart.js')).floorHeaders());
  app.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
}

export async function start(variant: Variant): Promise<Started> {
  const app = Fastify({ logger: false });
  if (variant === 'floor') await floor(app);
  let pieces: readonly string[] = [];
  let glue = '';
  if (variant === 'peer') await peer(app);
  if (variant === 'rampart') ({ pieces, glue } = await rampartChain(app));
  app.get('/', () => BODY);
  // @fastify/csrf-protection only checks routes that opt in; the POST route does, as its README shows.
  app.post('/', variant === 'peer' ? { onRequest: app.csrfProtection.bind(app) } : {}, () => BODY);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('fastify: no TCP address');
  return { port: address.port, pieces, glue, close: () => app.close() };
}
