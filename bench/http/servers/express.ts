import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import cookieParser from 'cookie-parser';
import cors from 'cors';
import { doubleCsrf } from 'csrf-csrf';
import express, { type Express } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { APP_ORIGIN, BODY, RATE_LIMIT, RATE_WINDOW_SECONDS, type Started, type Variant } from '../common.js';

const CSRF_SECRET = 'bench-only-secret-0123456789abcdef0123456789abcdef';

/** helmet + cors + rate limit + cookie-parser + csrf-csrf, in the order their READMEs show. */
function peer(app: Express): void {
  const { doubleCsrfProtection } = doubleCsrf({
    getSecret: () => CSRF_SECRET,
    // A stateless API without sessions: bind the token to the client address.
    getSessionIdentifier: (req) => req.ip ?? '',
    cookieName: '__Host-csrf',
    cookieOptions: { sameSite: 'strict', secure: true, httpOnly: true, path: '/' },
  });
  app.use(helmet());
  app.use(cors({ origin: APP_ORIGIN, credentials: true }));
  app.use(rateLimit({ windowMs: RATE_WINDOW_SECONDS * 1000, limit: RATE_LIMIT, standardHeaders: 'draft-8', legacyHeaders: false }));
  app.use(cookieParser());
  app.use(doubleCsrfProtection);
}

/**
 * Rampart's full chain through its Express adapter: the middleware first, its error handler after the routes. Loaded
 * only for this variant, so the bare and peer servers do not depend on Rampart's code.
 */
async function rampartChain(app: Express): Promise<{ pieces: readonly string[]; glue: string; after: () => void }> {
  const [{ rampart, rampartErrors }, { rampartGuards }] = await Promise.all([import('../../../packages/express/src/index.js'), import('../rampart.js')]);
  const { guards, pieces } = rampartGuards();
  app.use(rampart({ guards }));
  return { pieces, glue: '@rampart/express', after: () => app.use(rampartErrors()) };
}

/** The floor: Rampart's response headers as constants, one middleware, no controls. */
async function floor(app: Express): Promise<void> {
  const headers = (await import('../rampart.js')).floorHeaders();
  app.use((_req, res, next) => {
    res.removeHeader('x-powered-by');
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  });
}

export async function start(variant: Variant): Promise<Started> {
  const app = express();
  if (variant === 'floor') await floor(app);
  let pieces: readonly string[] = [];
  let glue = '';
  let after = (): void => undefined;
  if (variant === 'peer') peer(app);
  if (variant === 'rampart') ({ pieces, glue, after } = await rampartChain(app));
  app.get('/', (_req, res) => {
    res.json(BODY);
  });
  app.post('/', (_req, res) => {
    res.json(BODY);
  });
  after();
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', (error?: Error) => {
      if (error === undefined) resolve(listening);
      else reject(error);
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    pieces,
    glue,
    close: () => new Promise<void>((resolve) => { server.close(() => { resolve(); }); server.closeAllConnections(); }),
  };
}
