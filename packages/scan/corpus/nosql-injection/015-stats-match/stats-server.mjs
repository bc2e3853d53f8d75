import { createServer } from 'node:http';
import { Order } from './models/order.mjs';

createServer(async (req, res) => {
  const params = new URL(req.url, 'http://stats.local').searchParams;
  const match = JSON.parse(params.get('match') ?? '{}');
  const totals = await Order.aggregate([{ $match: match }, { $group: { _id: '$status', n: { $sum: 1 } } }]);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(totals));
}).listen(3001);
