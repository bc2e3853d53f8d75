/**
 * The admin dashboard, open to the office network only. DELIBERATELY INSECURE: with `trust proxy` set to `true` in
 * `app.ts`, `req.ip` is the left-most `X-Forwarded-For` entry, which the client writes (CWE-348).
 */
import { Router } from 'express';
import { ADMIN_NETWORK_PREFIX } from '../config.js';
import type { ShopContext } from '../context.js';

export function adminRoutes(ctx: ShopContext): Router {
  const router = Router();

  router.get('/admin/stats', (req, res) => {
    if (!(req.ip ?? '').startsWith(ADMIN_NETWORK_PREFIX)) {
      res.status(403).json({ error: 'office network only' });
      return;
    }
    const users = ctx.db.prepare('SELECT COUNT(*) AS count FROM users').get() as { count: number };
    const orders = ctx.db.prepare('SELECT COUNT(*) AS count, SUM(total) AS revenue FROM orders').get();
    res.json({ users: users.count, orders, clientIp: req.ip });
  });

  return router;
}
