/**
 * The admin dashboard, open to the office network only. The address checked is the chain's `clientIp`: the socket's
 * peer, because this shop trusts no proxy (`X-Forwarded-For` from a client is ignored, not believed).
 */
import { BlockList } from 'node:net';
import { Router } from 'express';
import type { ShopContext } from '../context.js';
import { counts } from '../lib/db.js';
import { FORBIDDEN, refuse } from '../lib/problems.js';

export function adminRoutes(ctx: ShopContext): Router {
  const router = Router();
  const office = new BlockList();
  const [network = '', prefix = '32'] = ctx.config.adminNetwork.split('/');
  office.addSubnet(network, Number(prefix));

  router.get('/admin/stats', (_req, res) => {
    const clientIp = res.locals.rampart?.clientIp ?? '';
    if (!office.check(clientIp, clientIp.includes(':') ? 'ipv6' : 'ipv4')) refuse(FORBIDDEN);
    res.json({ ...counts(ctx.db), clientIp });
  });

  return router;
}
