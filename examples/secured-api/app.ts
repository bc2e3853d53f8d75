/**
 * The secured shop: the same users, login, products, orders, files, webhooks and admin page as
 * `examples/vulnerable-api`, built with `@rampart/core` and `@rampart/express`. Every refusal is an RFC 9457 problem.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';
import { KeyRing } from '@rampart/core/crypto';
import { bodyLimits, cors, csrf, securityHeaders } from '@rampart/core/http';
import { createPasswordHasher, type PasswordHasher } from '@rampart/core/password';
import { MemorySessionStore, createSessionManager } from '@rampart/core/session';
import { rampart, rampartErrors } from '@rampart/express';
import type { SecuredShopConfig } from './config.js';
import type { ShopContext } from './context.js';
import { insertOrder, insertProduct, insertUser, openDatabase, type Db } from './lib/db.js';
import type { Device } from './lib/devices.js';
import { uploadsIn } from './lib/storage.js';
import { createShopTokens } from './lib/tokens.js';
import { adminRoutes } from './routes/admin.js';
import { authRoutes } from './routes/auth.js';
import { fileRoutes } from './routes/files.js';
import { orderRoutes } from './routes/orders.js';
import { productRoutes } from './routes/products.js';
import { userRoutes } from './routes/users.js';
import { webhookRoutes } from './routes/webhooks.js';

/** Seed accounts for trying the shop out: their passwords are given to `createSecuredApp`, never written here. */
export interface SeedAccount {
  readonly username: string;
  readonly email: string;
  readonly role: 'admin' | 'staff' | 'customer';
  readonly password: string;
  /** A device PIN for the mobile login. */
  readonly pin?: string;
}

export interface SecuredAppOptions {
  readonly seed?: readonly SeedAccount[];
  /** Errors that become 500 problems, with the correlation id the client was given (for the operator's log). */
  readonly report?: (error: unknown, correlationId: string) => void;
}

export interface SecuredApp {
  readonly app: Express;
  readonly context: ShopContext;
}

async function seed(db: Db, passwords: PasswordHasher, accounts: readonly SeedAccount[]): Promise<Device[]> {
  const devices: Device[] = [];
  for (const account of accounts) {
    const id = insertUser(db, {
      username: account.username,
      email: account.email,
      display_name: account.username,
      role: account.role,
      password_hash: await passwords.hash(account.password),
    });
    insertOrder(db, id, 'Espresso beans 1 kg', 24.5);
    if (account.pin !== undefined) {
      devices.push({ username: account.username, pinHash: await passwords.hash(account.pin), name: `${account.username}'s device` });
    }
  }
  insertProduct(db, 'Espresso beans 1 kg', 24.5);
  insertProduct(db, 'Milk frother', 39);
  return devices;
}

/** Builds the application and its state. */
export async function createSecuredApp(config: SecuredShopConfig, options: SecuredAppOptions = {}): Promise<SecuredApp> {
  const uploadsDir = join(config.dataDir, 'uploads');
  mkdirSync(uploadsDir, { recursive: true });
  const db = openDatabase();
  const passwords = createPasswordHasher();
  const context: ShopContext = {
    config,
    db,
    passwords,
    sessions: createSessionManager({ store: new MemorySessionStore() }),
    tokens: await createShopTokens(config.publicOrigin),
    uploads: uploadsIn(uploadsDir),
    devices: await seed(db, passwords, options.seed ?? []),
    logFile: join(config.dataDir, 'app.log'),
    outboxFile: join(config.dataDir, 'outbox.log'),
    resetTokens: new Map(),
    preferences: new Map(),
  };

  const app = express();
  app.disable('x-powered-by');
  // No `trust proxy`: Express's req.ip and the chain's clientIp are the socket's peer. Behind a real proxy, name it with
  // `clientAddress: trustedProxies({ cidrs: [...] })` — never `true`.
  app.use(
    rampart({
      guards: [
        securityHeaders({ preset: 'api' }),
        cors({ origins: [config.publicOrigin], credentials: true }),
        csrf({
          ring: KeyRing.generate({ name: 'csrf' }),
          allowedOrigins: [config.publicOrigin],
          exempt: [
            { method: 'POST', path: '/api/token', reason: 'bearer-token exchange for API clients: reads no cookie, sets none' },
            { method: 'POST', path: '/devices/login', reason: 'bearer-token exchange for the mobile app: reads no cookie, sets none' },
          ],
        }),
        bodyLimits({
          maxBytes: 64 * 1024,
          routes: [{ method: 'POST', path: '/products/import', contentTypes: ['application/xml'] }],
        }),
      ],
    }),
  );
  app.get('/csrf', (_req, res) => {
    res.json({ token: res.locals.rampart?.csrfToken });
  });
  app.use(authRoutes(context));
  app.use(userRoutes(context));
  app.use(productRoutes(context));
  app.use(orderRoutes(context));
  app.use(fileRoutes(context));
  app.use(webhookRoutes(context));
  app.use(adminRoutes(context));
  app.use(rampartErrors(options.report === undefined ? {} : { report: options.report }));
  return { app, context };
}
