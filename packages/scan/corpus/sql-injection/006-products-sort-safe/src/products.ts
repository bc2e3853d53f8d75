import Router from '@koa/router';
import mysql from 'mysql2/promise';

const pool = mysql.createPool({ host: 'db', user: 'shop', database: 'shop' });
const SORTABLE: Record<string, string> = { price: 'price', name: 'name', newest: 'created_at' };

function listQuery(sort: string): string {
  const column = SORTABLE[sort] ?? 'created_at';
  return `SELECT id, name, price FROM products ORDER BY ${column} LIMIT 50`;
}

export const router = new Router();
router.get('/products', async (ctx) => {
  const sort = (ctx.query.sort as string) || 'created_at';
  const [rows] = await pool.query(listQuery(sort));
  ctx.body = rows;
});
