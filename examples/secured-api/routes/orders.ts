/**
 * Orders, the API token, the saved cart and gift messages, built with Rampart: EdDSA access tokens checked against an
 * algorithm allowlist (no `none`, no HS256 with a guessable secret), roles read from the database rather than from a
 * property any object could inherit, the saved cart parsed as data (`parseUntrustedJson` + a closed schema, never a
 * format that carries code), and gift messages sealed with AES-256-GCM.
 */
import { Router } from 'express';
import { rampartJson } from '@rampart/express';
import { parseUntrustedJson, untrustedJsonProblem } from '@rampart/core/validate';
import { bearerUser, sessionUser, type ShopContext } from '../context.js';
import { allOrders, findUserByUsername, ordersOf } from '../lib/db.js';
import { FORBIDDEN, INVALID_CREDENTIALS, NOT_FOUND, refuse, validated } from '../lib/problems.js';
import { ApiTokenRequest, Cart, CartRestore, GiftMessage } from '../lib/schemas.js';

const STAFF_ROLES: ReadonlySet<string> = new Set(['admin', 'staff']);

export function orderRoutes(ctx: ShopContext): Router {
  const router = Router();
  const json = rampartJson({ maxBytes: 16 * 1024 });

  router.post('/api/token', json, async (req, res) => {
    const body = validated(ApiTokenRequest, req.body);
    const user = findUserByUsername(ctx.db, body.username);
    const verified = await ctx.passwords.verify(user?.password_hash ?? null, body.password);
    if (user === undefined || !verified.ok) refuse(INVALID_CREDENTIALS);
    res.json({ token: ctx.tokens.issuer.issueAccessToken({ sub: String(user.id) }).token });
  });

  router.get('/api/orders', (req, res) => {
    const user = bearerUser(ctx, req);
    res.json({ orders: user.role === 'admin' ? allOrders(ctx.db) : ordersOf(ctx.db, user.id) });
  });

  router.get('/orders/all', async (req, res) => {
    const user = await sessionUser(ctx, req, res);
    if (!STAFF_ROLES.has(user.role)) refuse(FORBIDDEN);
    res.json({ orders: allOrders(ctx.db) });
  });

  // The shop front keeps the cart as base64 JSON and posts it back on return: data only, checked against a schema.
  router.post('/cart/restore', json, (req, res) => {
    const { cart } = validated(CartRestore, req.body);
    const parsed = parseUntrustedJson(Buffer.from(cart, 'base64'), { maxBytes: 8192, maxDepth: 4 });
    if (!parsed.ok) refuse(untrustedJsonProblem(parsed.reason));
    res.json({ cart: validated(Cart, parsed.value) });
  });

  router.post('/orders/:id/gift-message', json, (req, res) => {
    const orderId = Number(req.params.id);
    if (!Number.isSafeInteger(orderId) || orderId < 1) refuse(NOT_FOUND);
    const { message } = validated(GiftMessage, req.body);
    const code = ctx.tokens.giftCipher.encrypt(message, { table: 'orders', column: 'gift_message', row: orderId });
    res.json({ orderId, code });
  });

  return router;
}
