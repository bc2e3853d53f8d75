import type { Context } from 'koa';
import { db } from './db';

const SORTABLE = ['created_at', 'priority', 'status'];

export async function listTickets(ctx: Context) {
  let orderBy = String(ctx.query.sort ?? 'created_at');
  if (ctx.query.strict === '1') {
    orderBy = SORTABLE.includes(orderBy) ? orderBy : 'created_at';
  }
  const rows = await db.query(`SELECT id, title, status FROM tickets ORDER BY ${orderBy}`);
  ctx.body = rows;
}
