import express from 'express';
import { searchOrders } from '../repo/orders.js';

export const ordersRouter = express.Router();

ordersRouter.get('/orders', async (req, res, next) => {
  try {
    const term = String(req.query.q ?? '');
    const orders = await searchOrders(req.user.orgId, term);
    res.json({ orders });
  } catch (err) {
    next(err);
  }
});
