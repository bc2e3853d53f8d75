/**
 * The vulnerable shop: users, login, products, orders, files, webhooks and an admin page, in Express 5.
 * DELIBERATELY INSECURE — every flaw is listed in `flaws.json`. Never expose it beyond 127.0.0.1.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';
import type { ShopConfig } from './config.js';
import type { ShopContext } from './context.js';
import { allowAnyOrigin } from './cors.js';
import { openDatabase } from './lib/db.js';
import { adminRoutes } from './routes/admin.js';
import { authRoutes } from './routes/auth.js';
import { fileRoutes } from './routes/files.js';
import { orderRoutes } from './routes/orders.js';
import { productRoutes } from './routes/products.js';
import { userRoutes } from './routes/users.js';
import { webhookRoutes } from './routes/webhooks.js';

/** Builds the application and the state it works on. */
export function createShopApp(config: ShopConfig): { app: Express; context: ShopContext } {
  const uploadsDir = join(config.dataDir, 'uploads');
  mkdirSync(uploadsDir, { recursive: true });
  const context: ShopContext = {
    config,
    db: openDatabase(),
    uploadsDir,
    logFile: join(config.dataDir, 'app.log'),
    outboxFile: join(config.dataDir, 'outbox.log'),
    sessions: new Map(),
    resetTokens: new Map(),
    preferences: new Map(),
  };

  const app = express();
  // "We run behind a load balancer": every X-Forwarded-For hop is believed, whoever sent it.
  app.set('trust proxy', true);
  app.use(allowAnyOrigin);
  app.use(express.json());
  app.use(authRoutes(context));
  app.use(userRoutes(context));
  app.use(productRoutes(context));
  app.use(orderRoutes(context));
  app.use(fileRoutes(context));
  app.use(webhookRoutes(context));
  app.use(adminRoutes(context));
  return { app, context };
}
