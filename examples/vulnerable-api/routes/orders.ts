/**
 * Orders, the API token, the saved cart and gift messages. DELIBERATELY INSECURE: bearer tokens are checked by a
 * verifier that accepts `alg: none` and a secret from the source, the saved cart is restored with node-serialize
 * (which runs functions embedded in the data), and gift messages are encrypted with AES-ECB.
 */
import { Router, type Request } from 'express';
import serializer from 'node-serialize';
import { sessionUser, type ShopContext } from '../context.js';
import { findUserByUsername } from '../lib/db.js';
import { checkPassword } from '../lib/passwords.js';
import { encryptGiftMessage, signToken, verifyToken, type TokenClaims } from '../lib/tokens.js';

function bearerClaims(req: Request): TokenClaims | undefined {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? verifyToken(header.slice('Bearer '.length)) : undefined;
}

export function orderRoutes(ctx: ShopContext): Router {
  const router = Router();

  router.post('/api/token', (req, res) => {
    const { username, password } = req.body as { username: string; password: string };
    const user = findUserByUsername(ctx.db, String(username));
    if (user === undefined || !checkPassword(String(password), user.password_hash)) {
      res.status(401).json({ error: 'invalid credentials' });
      return;
    }
    res.json({ token: signToken({ sub: String(user.id), role: user.role }) });
  });

  router.get('/api/orders', (req, res) => {
    const claims = bearerClaims(req);
    if (claims === undefined) {
      res.status(401).json({ error: 'invalid token' });
      return;
    }
    const orders =
      claims.role === 'admin'
        ? ctx.db.prepare('SELECT * FROM orders').all()
        : ctx.db.prepare('SELECT * FROM orders WHERE user_id = ?').all(Number(claims.sub));
    res.json({ orders });
  });

  // The staff order board: every customer's orders.
  router.get('/orders/all', (req, res) => {
    const user = sessionUser(ctx, req) as (Record<string, unknown> & { isStaff?: boolean }) | undefined;
    if (user === undefined) {
      res.status(401).json({ error: 'log in first' });
      return;
    }
    if (user.isStaff !== true) {
      res.status(403).json({ error: 'staff only' });
      return;
    }
    res.json({ orders: ctx.db.prepare('SELECT * FROM orders').all() });
  });

  // The shop front saves the cart in local storage as node-serialize text (base64) and posts it back on return.
  router.post('/cart/restore', (req, res) => {
    const { cart } = req.body as { cart: string };
    const restored = serializer.unserialize(Buffer.from(String(cart), 'base64').toString('utf8'));
    res.json({ cart: restored });
  });

  router.post('/orders/:id/gift-message', (req, res) => {
    const { message } = req.body as { message: string };
    res.json({ orderId: Number(req.params.id), code: encryptGiftMessage(String(message)) });
  });

  return router;
}
